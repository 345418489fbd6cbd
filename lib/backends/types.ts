/**
 * The one interface behind the four methods (pipeline, optimized, Ollama, Groq): the
 * comparison is a loop over it.
 *
 * @module
 */

/** A chat turn. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A plain prompt or a chat conversation. */
export type PromptInput = string | ChatMessage[];

/** Bounds and sampling for one generation. Every generation is bounded. */
export interface GenerateOptions {
  /** Most new tokens to produce (default {@link DEFAULT_MAX_TOKENS}). */
  maxTokens?: number;
  /** 0 (default) = greedy; > 0 samples. */
  temperature?: number;
  /** Aborts the generation: the stream ends early with stopReason "abort", text kept. */
  signal?: AbortSignal;
  /** Wall-clock bound for the whole call in ms (default {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** Default bound on new tokens. */
export const DEFAULT_MAX_TOKENS = 128;
/** Default bound on a call's wall-clock time (2 minutes). */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Why a generation ended. */
export type StopReason = "stop" | "length" | "abort" | "timeout";

/** Client-side timings, measured the same way for every backend. */
export interface Timings {
  /** Request → first token (time to first token). */
  ttftMs: number | null;
  /** Request → end of the stream. */
  totalMs: number;
  /** First token → last token. */
  decodeMs: number;
  /** Tokens after the first ÷ decode time; null with fewer than 2 tokens. */
  tokensPerSecond: number | null;
}

/** The outcome of one generation. */
export interface GenerateResult {
  text: string;
  tokensIn: number;
  tokensOut: number;
  stopReason: StopReason;
  timings: Timings;
  /** What the service reports about itself (e.g. Ollama eval_duration, Groq completion_time), in ms. */
  serviceTimings?: Record<string, number>;
  /** Model id actually used. */
  model: string;
  /** Memory after the call: peak RSS of this process, GPU memory in use when on a GPU. */
  memory?: { peakRssBytes?: number; gpuBytes?: number };
  /** Extra facts a backend reports (dtype and device actually used, load time, …). */
  details?: Record<string, string | number | boolean>;
}

/**
 * A running generation: iterate it for the text pieces as they arrive; `result` resolves
 * once the stream has ended (iterating is not required: awaiting `result` drains it).
 */
export interface GenerationStream extends AsyncIterable<string> {
  readonly result: Promise<GenerateResult>;
  /** Stops the generation; what was produced so far is kept. */
  abort(): void;
}

/** One way of running a model. */
export interface Backend {
  /** Human name ("Pipeline", "Optimizado", "Ollama", "Groq"). */
  readonly name: string;
  /** Which of the session's four methods. */
  readonly method: 1 | 2 | 3 | 4;
  /** "online": the real service or hub model; "offline": the kit's local stand-in. */
  readonly mode: "online" | "offline";
  /** Generates to the end and returns the whole result. */
  generate(prompt: PromptInput, opts?: GenerateOptions): Promise<GenerateResult>;
  /** Generates piece by piece. */
  stream(prompt: PromptInput, opts?: GenerateOptions): GenerationStream;
  /** Frees what the backend holds (models, connections). */
  close(): Promise<void>;
}
