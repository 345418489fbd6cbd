/**
 * Ollama's REST wire format, as its API documentation describes it (docs/api.md and
 * docs.ollama.com/api): the one file of types the backend, the notebook's raw `fetch` calls and
 * the kit's offline stand-in share. Durations are integers in nanoseconds; streams are NDJSON
 * (one JSON object per line); errors are `{"error": "..."}`.
 *
 * @module
 */

/** Model details as /api/tags, /api/ps and /api/show report them. */
export interface WireModelDetails {
  parent_model: string;
  format: string;
  family: string;
  families: string[] | null;
  parameter_size: string;
  quantization_level: string;
}

/** One entry of GET /api/tags. */
export interface WireTagModel {
  name: string;
  model: string;
  /** RFC 3339 time. */
  modified_at: string;
  /** Bytes. */
  size: number;
  /** Hex sha256 of the manifest, without the "sha256:" prefix. */
  digest: string;
  details: WireModelDetails;
  /** A cloud model (Ollama runs it on its servers, not here): where, and under which name. */
  remote_host?: string;
  remote_model?: string;
}

/** One entry of GET /api/ps (models loaded in memory). */
export interface WirePsModel {
  name: string;
  model: string;
  size: number;
  digest: string;
  details: WireModelDetails;
  /** RFC 3339 time at which the model will be unloaded. */
  expires_at: string;
  /** Bytes of the model held in GPU memory. */
  size_vram: number;
  /** The context window the model was loaded with, in tokens. */
  context_length?: number;
}

/**
 * The statistics the final chunk (done: true) of /api/generate and /api/chat carries. A field
 * whose value is zero is left out (Go's `omitempty`). eval_count includes thinking tokens.
 */
export interface WireStats {
  /** "stop", "length", "load" or "unload". */
  done_reason?: string;
  /** Whole request, ns. */
  total_duration?: number;
  /** Loading the model, ns. */
  load_duration?: number;
  /** Tokens in the prompt. */
  prompt_eval_count?: number;
  /** Evaluating the prompt, ns. */
  prompt_eval_duration?: number;
  /** Tokens generated. */
  eval_count?: number;
  /** Generating them, ns. */
  eval_duration?: number;
}

/** One NDJSON line (or the single object with stream: false) of POST /api/generate. */
export interface WireGenerateChunk extends WireStats {
  model: string;
  created_at: string;
  response: string;
  /** A thinking model's thinking (current Ollama: on by default for models that can think). */
  thinking?: string;
  done: boolean;
  /** Deprecated conversation encoding; real Ollama sends it, the offline stand-in does not. */
  context?: number[];
}

/** One NDJSON line (or the single object with stream: false) of POST /api/chat. */
export interface WireChatChunk extends WireStats {
  model: string;
  created_at: string;
  /** `thinking`: a thinking model's thinking, apart from the answer in `content`. */
  message: { role: string; content: string; thinking?: string };
  done: boolean;
}

/** One NDJSON line of POST /api/pull: status, and for a layer its digest and byte counts. */
export interface WireProgress {
  /** "pulling manifest", "pulling <12 hex>", "verifying sha256 digest", "writing manifest", "success". */
  status: string;
  /** "sha256:<64 hex>" while a layer is pulled. */
  digest?: string;
  /** Bytes of the layer. */
  total?: number;
  /** Bytes done so far (absent until some are). */
  completed?: number;
}

/** Nanoseconds (Ollama's unit) to milliseconds. */
export function nsToMs(ns: number): number {
  return ns / 1e6;
}

/**
 * Reads an NDJSON body: yields each line parsed as JSON, in order, as bytes arrive (a line split
 * across network chunks is joined first). Blank lines are skipped; a line that is not JSON
 * throws, naming it.
 *
 * @example
 * ```ts
 * const res = await fetch("http://127.0.0.1:11434/api/generate", { method: "POST", body });
 * for await (const chunk of readNdjson<WireGenerateChunk>(res.body!)) console.log(chunk.response);
 * ```
 */
export async function* readNdjson<T = unknown>(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<T, void, undefined> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) yield parseLine<T>(line);
      }
    }
    if (buffer.trim()) yield parseLine<T>(buffer.trim());
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function parseLine<T>(line: string): T {
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new SyntaxError(`línea NDJSON que no es JSON: ${line.slice(0, 200)}`);
  }
}
