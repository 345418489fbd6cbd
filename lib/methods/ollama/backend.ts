/**
 * Method 3, Ollama: a model served by `ollama serve` over its REST API on localhost:11434,
 * called with the `ollama` npm client. The host comes from OLLAMA_HOST, read as Ollama reads it
 * (the client does not read it itself). The backend does not know whether the server is a real
 * Ollama or the kit's offline stand-in: it only reports what the server says about itself.
 *
 * @module
 */
import { Ollama } from "ollama";
import type { ChatResponse, GenerateResponse, ShowResponse } from "ollama";
import { guardBackend } from "../../core/mod.ts";
import { configuredHost } from "./host.ts";
import { measureStream, type Piece, type SourceEnd } from "../../core/stream.ts";
import { progressBar } from "../../show/progress.ts";
import type { Backend, GenerateOptions, GenerationStream, PromptInput } from "../../core/types.ts";
import { DEFAULT_MAX_TOKENS } from "../../core/types.ts";
import type { WireProgress, WireStats } from "./wire.ts";
import { ollamaError, SERVER_DOWN_HINT, toKitError } from "./errors.ts";
import { ollamaTokensPerSecond, serviceTimingsOf } from "./timings.ts";
import { answerMissing, thinkingBudget } from "./thinking.ts";

export { nsToMs, readNdjson } from "./wire.ts";
export type { WireChatChunk, WireGenerateChunk, WireProgress, WireStats } from "./wire.ts";
export * from "./errors.ts";
export * from "./timings.ts";
export * from "./thinking.ts";

/** Options for {@link ollamaBackend}. */
export interface OllamaBackendOptions {
  /** Model name, e.g. "llama3.2:1b" (online) or "tiny" (offline). */
  model: string;
  /** Base URL (default: from OLLAMA_HOST, as Ollama reads it). */
  host?: string;
  /** How long the server keeps the model loaded after a call (Ollama's keep_alive). */
  keepAlive?: string | number;
  /**
   * Ollama's `think`: left out by default, so the server decides (current Ollama thinks by
   * default with models that can, and sends that text apart, in `thinking`); `false` asks for
   * the answer only; `true` on a model that cannot think is a 400 ("does not support thinking").
   */
  think?: boolean | "low" | "medium" | "high";
  /** Why this model was chosen (see chooseOllamaModel), reported in every result's details. */
  choiceReason?: string;
}

/** A model's row in {@link OllamaBackend.list} / {@link OllamaBackend.ps}. */
export interface ModelRow {
  name: string;
  sizeMB: number;
  parameters: string;
  quantization: string;
  /** /api/ps only: when the server will unload it. */
  expiresAt?: string;
  /** /api/ps only: MB held in GPU memory. */
  vramMB?: number;
}

/** The Ollama backend: the common {@link Backend} plus Ollama's model management. */
export interface OllamaBackend extends Backend {
  readonly host: string;
  readonly model: string;
  /** The version /api/version reports ("-kit-offline" for the kit's stand-in). */
  readonly serverVersion: string;
  /** The `ollama` npm client pointed at this host (for calls the backend does not wrap). */
  readonly client: Ollama;
  /** Downloads a model (default: this backend's), with a progress bar per layer. */
  pull(model?: string, opts?: { signal?: AbortSignal; quiet?: boolean }): Promise<WireProgress[]>;
  /** Models present on the server (/api/tags). */
  list(): Promise<ModelRow[]>;
  /** Models loaded in memory (/api/ps). */
  ps(): Promise<ModelRow[]>;
  /** A model's details, template and parameters (/api/show). */
  show(model?: string): Promise<ShowResponse>;
}

/** A fetch that also aborts on `signal` and hands the stand-in's X-Kit-Engine header to `seen`. */
function fetchWith(signal: AbortSignal, seen = (_engine: string) => {}): typeof fetch {
  return (input, init) =>
    fetch(input, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
    }).then((r) => (seen(decodeURIComponent(r.headers.get("X-Kit-Engine") ?? "")), r));
}

function sizeRow(m: {
  name: string;
  size: number;
  details?: { parameter_size?: string; quantization_level?: string };
}): ModelRow {
  return {
    name: m.name,
    sizeMB: Math.round(m.size / 1e5) / 10,
    parameters: m.details?.parameter_size ?? "",
    quantization: m.details?.quantization_level ?? "",
  };
}

/**
 * Asks a server for its version. Returns the version and whether the server says it is the
 * kit's offline stand-in (header X-Kit-Offline or a "-kit-offline" version); throws
 * {@link KitError} "server-down" when nothing answers.
 */
export async function ollamaVersion(
  host = configuredHost(),
  timeoutMs = 2500,
): Promise<{ version: string; offline: boolean }> {
  let res: Response;
  try {
    res = await fetch(`${host}/api/version`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    throw ollamaError(
      "server-down",
      `No hay ningún servidor de Ollama respondiendo en ${host}: ${SERVER_DOWN_HINT}.`,
    );
  }
  const body = await res.json().catch(() => ({}));
  const version = typeof body?.version === "string" ? body.version : "";
  if (!res.ok || !version) {
    throw ollamaError(
      "server",
      `${host} responde, pero no como Ollama (GET /api/version → ${res.status}).`,
      res.status,
    );
  }
  return {
    version,
    offline: res.headers.get("X-Kit-Offline") === "1" || /kit-offline/.test(version),
  };
}

/**
 * Creates the Ollama backend. Checks the server answers (else throws {@link KitError}
 * "server-down", naming the script that starts it) and reads its version: `mode` is "offline"
 * when the server says it is the kit's stand-in.
 *
 * A plain string prompt is continued as text, as methods 1–2 continue it: it goes to
 * /api/generate with `raw: true`, so Ollama feeds it to the model as is (without `raw`, Ollama
 * would wrap it in the model's chat template as a user message, and the four methods would no
 * longer answer the same question). Chat messages go to /api/chat, through the template.
 *
 * @example
 * ```ts
 * const backend = await ollamaBackend({ model: "tiny" });
 * const r = await backend.generate("El modelo", { maxTokens: 20 });
 * console.log(r.text, r.serviceTimings?.eval_duration);
 * ```
 */
export async function ollamaBackend(opts: OllamaBackendOptions): Promise<OllamaBackend> {
  const host = opts.host ?? configuredHost();
  const model = opts.model;
  const { version, offline } = await ollamaVersion(host);
  const client = new Ollama({ host });

  // Whether the model thinks (its /api/show capabilities), asked once; unknown → no.
  let canThink: Promise<boolean> | null = null;
  const thinks = async () => {
    canThink ??= client.show({ model }).then((s) => !!s.capabilities?.includes("thinking"))
      .catch(() => ((canThink = null), false));
    return opts.think !== false && await canThink;
  };

  function stream(prompt: PromptInput, o: GenerateOptions = {}): GenerationStream {
    return measureStream(async function* (signal): AsyncGenerator<Piece, SourceEnd, undefined> {
      let engine = offline ? "desconocido" : "Ollama";
      const perCall = new Ollama({ host, fetch: fetchWith(signal, (e) => (engine = e || engine)) });
      const budget = thinkingBudget(model, o.maxTokens ?? DEFAULT_MAX_TOKENS, await thinks());
      const options = { num_predict: budget.numPredict, temperature: o.temperature ?? 0 };
      let answered = false;
      const common = {
        model,
        stream: true as const,
        options,
        keep_alive: opts.keepAlive,
        ...(opts.think !== undefined ? { think: opts.think } : {}),
      };
      let it: AsyncIterable<GenerateResponse | ChatResponse> & { abort(): void };
      try {
        it = typeof prompt === "string"
          ? await perCall.generate({ ...common, prompt, raw: true })
          : await perCall.chat({ ...common, messages: prompt });
      } catch (error) {
        throw toKitError(error, host, model);
      }
      const onAbort = () => it.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      let last: GenerateResponse | ChatResponse | undefined;
      try {
        for await (const chunk of it) {
          last = chunk;
          // A thinking model sends its thinking apart (`thinking` / `message.thinking`), one
          // token a chunk like the answer; both are timed (TTFT = first token of either kind).
          const thought = ("message" in chunk ? chunk.message?.thinking : chunk.thinking) ?? "";
          if (thought) yield { text: thought, tokens: 1, kind: "thinking" };
          const text = "message" in chunk ? chunk.message?.content ?? "" : chunk.response ?? "";
          answered ||= text !== "";
          if (text || (!chunk.done && !thought)) yield { text, tokens: text ? 1 : 0 };
        }
      } catch (error) {
        if (signal.aborted) throw new DOMException("aborted", "AbortError");
        const mapped = toKitError(error, host, model);
        if (mapped !== error) throw mapped;
        const message = error instanceof Error ? error.message : String(error);
        throw ollamaError(
          "stream-cut",
          `Ollama informó de un error a mitad de la respuesta: ${message}`,
          undefined,
          message,
        );
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
      const stats = (last ?? {}) as WireStats;
      const ollamaTps = ollamaTokensPerSecond(stats);
      return {
        model,
        tokensIn: stats.prompt_eval_count ?? 0,
        tokensOut: stats.eval_count,
        stopReason: stats.done_reason === "length" ? "length" : "stop",
        serviceTimings: serviceTimingsOf(stats),
        details: {
          server: offline ? "offline (servidor local del kit)" : "ollama",
          serverVersion: version,
          engine, // the stand-in's X-Kit-Engine, or "Ollama"
          ...(opts.choiceReason ? { model_choice: opts.choiceReason } : {}),
          think: opts.think === undefined ? "por defecto del servidor" : String(opts.think),
          ...(budget.note ? { thinkingNote: budget.note } : {}),
          ...answerMissing(model, stats.done_reason, answered),
          ...(stats.prompt_eval_count !== undefined
            ? { prompt_eval_count: stats.prompt_eval_count }
            : {}),
          ...(stats.eval_count !== undefined ? { eval_count: stats.eval_count } : {}),
          ...(ollamaTps !== null ? { ollama_tokens_per_second: ollamaTps } : {}),
        },
      };
    }, o);
  }

  async function call<T>(f: () => Promise<T>, name = model): Promise<T> {
    try {
      return await f();
    } catch (error) {
      throw toKitError(error, host, name);
    }
  }

  return guardBackend<OllamaBackend>({
    name: "Ollama",
    method: 3,
    mode: offline ? "offline" : "online",
    host,
    model,
    serverVersion: version,
    client,
    stream,
    generate: (prompt, o) => stream(prompt, o).result,
    async pull(name = model, o = {}) {
      const perCall = new Ollama({ host, fetch: o.signal ? fetchWith(o.signal) : fetch });
      const it = await call(() => perCall.pull({ model: name, stream: true }), name);
      const seen: WireProgress[] = [];
      const bars = new Map<string, ReturnType<typeof progressBar>>();
      const finished = new Set<string>();
      try {
        for await (const p of it) {
          seen.push(p);
          if (o.quiet) continue;
          if (p.digest && p.total) {
            let bar = bars.get(p.digest);
            if (!bar) bars.set(p.digest, bar = progressBar(p.status, p.total));
            const done = p.completed ?? 0;
            if (done < p.total) bar.update(done, p.total);
            else if (!finished.has(p.digest)) {
              finished.add(p.digest);
              bar.finish();
            }
          } else console.log(p.status);
        }
      } catch (error) {
        const mapped = toKitError(error, host, name);
        if (mapped !== error) throw mapped;
        const message = error instanceof Error ? error.message : String(error);
        throw ollamaError(
          "stream-cut",
          `No se pudo descargar "${name}": ${message}`,
          undefined,
          message,
        );
      }
      return seen;
    },
    async list() {
      const { models } = await call(() => client.list());
      return models.map(sizeRow);
    },
    async ps() {
      const { models } = await call(() => client.ps());
      return models.map((m) => ({
        ...sizeRow(m),
        expiresAt: String(m.expires_at),
        vramMB: Math.round((m.size_vram ?? 0) / 1e5) / 10,
      }));
    },
    show(name = model) {
      return call(() => client.show({ model: name }), name);
    },
    close() {
      client.abort();
      return Promise.resolve();
    },
  });
}
