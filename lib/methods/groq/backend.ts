/**
 * Method 4: Groq, a cloud API, through groq-sdk. The key comes from `.env` (dotenv), the
 * environment, or Colab's secrets (which the Colab bridge puts into the environment); the
 * model from GROQ_MODEL or, when that is empty, chosen from `models.list()` — Groq retires
 * models, so no id is hard-coded. Groq's own timings (`usage` / `x_groq.usage`, seconds) are
 * kept next to the client-measured TTFT and tok/s. Every failure is a {@link KitError}
 * with a Spanish message that says what to do; the key is never printed, thrown or logged.
 *
 * Retries: groq-sdk's own retries are turned off (`maxRetries: 0`). The backend retries 429,
 * 5xx and connection failures itself, before the first token only, honouring retry-after
 * on 429 (exponential backoff otherwise), so that each wait is announced to the student,
 * bounded by the call's time limit and `maxRetryWaitS`, and abortable (groq-sdk's sleep is
 * silent and cannot be aborted).
 *
 * @module
 */
import Groq from "groq-sdk";
import { existsSync } from "node:fs";
import { KitError } from "../../core/errors.ts";
import { guardBackend } from "../../core/guard.ts";
import { kitConfig, loadedFromEnvFile } from "../../core/config.ts";
import { maskSecret } from "../../core/secrets.ts";
import { measureStream, type Piece, type Source, type SourceEnd } from "../../core/stream.ts";
import {
  type Backend,
  type ChatMessage,
  DEFAULT_MAX_TOKENS,
  DEFAULT_TIMEOUT_MS,
  type GenerateOptions,
  type GenerateResult,
  type GenerationStream,
  type PromptInput,
} from "../../core/types.ts";
import {
  type GroqModelEntry,
  type GroqUsage,
  OFFLINE_HEADER,
  parseRateLimits,
  type RateLimits,
  serviceTimingsMs,
} from "./wire.ts";
import { openSafely } from "./redacted.ts";
import {
  type ErrorContext,
  groqError,
  missingKeyMessage,
  modelUnavailableMessage,
  toGroqError,
} from "./errors.ts";

export { groqError, type GroqErrorKind, redact } from "./errors.ts";
export { compareTimings, type TimingRow } from "./timings.ts";
export {
  describeRateLimits,
  formatSeconds,
  type GroqModelEntry,
  type GroqUsage,
  parseRateLimits,
  type RateLimits,
} from "./wire.ts";

/** Where the key came from (for the student; never the key itself). */
export type KeySource = "opción apiKey" | "entorno" | ".env" | "secretos de Colab";

/** The key, where it came from, and its masked form. */
export interface GroqKey {
  value: string;
  source: KeySource;
  /** e.g. "gsk_•••• (56 caracteres)". */
  masked: string;
}

/**
 * Finds the Groq key in the kit's configuration (the environment — on Colab, where the kit's
 * bridge copies the GROQ_API_KEY secret — else `.env`). Null when there is none.
 *
 * @example
 * ```ts
 * const key = findGroqKey();
 * key?.masked; // "gsk_•••• (56 caracteres)"
 * ```
 */
export function findGroqKey(): GroqKey | null {
  const { groq, colab } = kitConfig();
  if (!groq.apiKey) return null;
  const fromEnvFile = loadedFromEnvFile("GROQ_API_KEY");
  const source: KeySource = fromEnvFile ? ".env" : colab ? "secretos de Colab" : "entorno";
  return { value: groq.apiKey, source, masked: maskSecret(groq.apiKey) };
}

/** Options for {@link groqBackend}. Every field is optional. */
export interface GroqOptions {
  /** The key (default: {@link findGroqKey}). */
  apiKey?: string;
  /** API base URL (default GROQ_BASE_URL, else https://api.groq.com). */
  baseURL?: string;
  /** Model id (default GROQ_MODEL, else chosen from the models Groq lists now). */
  model?: string;
  /** Retries on 429 / 5xx / connection failures before the first token (default 2). */
  maxRetries?: number;
  /** Longest retry-after the backend waits for by itself, in s (default 30). */
  maxRetryWaitS?: number;
  /** Time limit for a response's headers, in ms (default 30 000). */
  requestTimeoutMs?: number;
  /** Where Spanish notices go (retries, waits). Default console.log. */
  notify?: (message: string) => void;
}

/** The Groq backend: the common {@link Backend} plus what is particular to a cloud API. */
export interface GroqBackend extends Backend {
  /** Model id in use. */
  readonly model: string;
  /** Why this model (Spanish). */
  readonly modelChoice: string;
  /** Base URL the client talks to. */
  readonly baseURL: string;
  /** Masked key, e.g. "gsk_•••• (56 caracteres)". */
  readonly maskedKey: string;
  /** Chat models listed when the backend was made. */
  readonly models: GroqModelEntry[];
  /** Rate limits read from the latest response (null before any). */
  readonly rateLimits: RateLimits | null;
  /** Lists the models Groq serves now. */
  listModels(opts?: { signal?: AbortSignal }): Promise<GroqModelEntry[]>;
}

/** Ids of models that are not for chat (speech, guards, TTS, agent systems). */
const NOT_CHAT = /whisper|tts|guard|orpheus|playai|distil|compound|safeguard|embed/i;

/**
 * The chat models of a list, active ones only (no speech, guard, TTS or agent systems).
 *
 * @example
 * ```ts
 * chatModels(groq.models).map((m) => m.id);
 * ```
 */
export function chatModels(models: GroqModelEntry[]): GroqModelEntry[] {
  return models.filter((m) => m.active !== false && !NOT_CHAT.test(m.id));
}

/**
 * Picks a chat model from what Groq lists now (never a hard-coded id): a Llama-family
 * model first (the session's family), then the newest; ties by id. Null when none fits.
 *
 * @example
 * ```ts
 * chooseModel([{ id: "qwen/qwen3-32b", object: "model", created: 2, owned_by: "Qwen" }]);
 * // "qwen/qwen3-32b"
 * ```
 */
export function chooseModel(models: GroqModelEntry[]): string | null {
  const chat = chatModels(models);
  if (!chat.length) return null;
  const llama = (m: GroqModelEntry) => (/llama/i.test(m.id) ? 0 : 1);
  chat.sort((a, b) =>
    llama(a) - llama(b) || (b.created ?? 0) - (a.created ?? 0) || a.id.localeCompare(b.id)
  );
  return chat[0].id;
}

function toMessages(prompt: PromptInput): ChatMessage[] {
  return typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt;
}

function isLoopback(url: string): boolean {
  try {
    return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * A signal that follows `parent` until `release()`. groq-sdk adds an abort listener to the
 * signal it is given and never removes it; on a signal with a timer (AbortSignal.timeout,
 * measureStream's) Deno then keeps the process alive until the timer fires. The SDK gets
 * this plain signal instead, and our one listener on `parent` is removed when done.
 */
function linkedSignal(parent: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener("abort", onAbort, { once: true });
  return { signal: controller.signal, release: () => parent.removeEventListener("abort", onAbort) };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Connects to Groq (or anything speaking its protocol, such as the kit's offline server):
 * finds the key, lists the models (which also checks the key), picks the model, and returns
 * a {@link GroqBackend}. `mode` is "offline" when the server says it is the kit's stand-in.
 * Throws a {@link KitError}: missing key, 401, unknown/retired model, network, …
 *
 * @example
 * ```ts
 * const groq = await groqBackend();
 * const r = await groq.generate("¿Qué es un LPU?", { maxTokens: 64 });
 * r.serviceTimings; // { queueMs, promptMs, completionMs, totalMs }
 * await groq.close();
 * ```
 */
export function groqBackend(opts: GroqOptions = {}): Promise<GroqBackend> {
  return openSafely(opts, openGroqBackend); // the URL checked first, every error redacted
}

async function openGroqBackend(opts: GroqOptions): Promise<GroqBackend> {
  const key = opts.apiKey !== undefined
    ? { value: opts.apiKey.trim(), source: "opción apiKey" as const }
    : findGroqKey();
  if (!key?.value) {
    throw groqError(
      "missing-key",
      missingKeyMessage({ path: kitConfig().envFile, found: existsSync(kitConfig().envFile) }),
    );
  }
  const apiKey = key.value;
  const baseURL = (opts.baseURL ?? kitConfig().groq.baseURL).replace(/\/+$/, "");
  const maxRetries = opts.maxRetries ?? 2;
  const maxRetryWaitS = opts.maxRetryWaitS ?? 30;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  const notify = opts.notify ?? ((m: string) => console.log(m));
  // The client lives in this closure only: printing the backend never shows the key.
  const client = new Groq({
    apiKey,
    baseURL,
    maxRetries: 0,
    timeout: requestTimeoutMs,
    logLevel: "off",
  });
  let rateLimits: RateLimits | null = null;
  let offline = isLoopback(baseURL);
  let model = "";

  const ctx = (extra: Partial<ErrorContext> = {}): ErrorContext => ({
    apiKey,
    baseURL,
    model,
    ...extra,
  });
  const remember = (headers: Headers) => {
    rateLimits = parseRateLimits(headers) ?? rateLimits;
    if (headers.get(OFFLINE_HEADER) === "1") offline = true;
  };

  /** Runs one request, retrying 429 / 5xx / connection failures as the module doc says. */
  async function withRetries<T>(
    attempt: (timeoutMs: number) => Promise<T>,
    signal: AbortSignal,
    deadline: number,
  ): Promise<T> {
    for (let i = 0;; i++) {
      const left = deadline - performance.now();
      try {
        // A little under the call's own limit, so that a request that gets no answer ends
        // with the Spanish timeout message rather than a silent stopReason "timeout".
        return await attempt(Math.max(1, Math.min(requestTimeoutMs, Math.floor(left) - 50)));
      } catch (error) {
        if (signal.aborted) throw error;
        let err = toGroqError(
          error,
          ctx({ retriesMade: i, timeoutMs: Math.min(requestTimeoutMs, left) }),
        );
        if (err.rateLimits) rateLimits = err.rateLimits;
        if (err.kind === "model-unavailable") err = await withModelList(err);
        if (!err.retryable || i >= maxRetries) throw err;
        const waitS = err.kind === "rate-limit" && err.retryAfterS !== undefined
          ? err.retryAfterS
          : 0.5 * 2 ** i;
        if (waitS > maxRetryWaitS || performance.now() + waitS * 1000 >= deadline) throw err;
        const what = err.kind === "rate-limit"
          ? `límite de uso (429); Groq pide esperar ${waitS} s (retry-after)`
          : err.kind === "server"
          ? `error del servidor (${err.status})`
          : "no se pudo conectar";
        notify(`Groq: ${what}. Reintento ${i + 1} de ${maxRetries} en ${waitS} s…`);
        await abortableSleep(waitS * 1000, signal);
      }
    }
  }

  async function listModels(o: { signal?: AbortSignal } = {}): Promise<GroqModelEntry[]> {
    const link = linkedSignal(o.signal ?? new AbortController().signal);
    let data, response;
    try {
      ({ data, response } = await withRetries(
        (timeout) => client.models.list({ signal: link.signal, timeout }).withResponse(),
        link.signal,
        performance.now() + requestTimeoutMs * (maxRetries + 1),
      ));
    } finally {
      link.release();
    }
    remember(response.headers);
    return (data.data as GroqModelEntry[]).slice().sort((a, b) => a.id.localeCompare(b.id));
  }

  async function withModelList(err: KitError): Promise<KitError> {
    let available: string[] | undefined;
    try {
      available = chatModels(await listModels()).map((m) => m.id);
    } catch { /* the message says the list could not be read */ }
    const reason = err.status === 400 ? "decommissioned" : "not-found";
    return groqError(
      "model-unavailable",
      modelUnavailableMessage(model, available, reason),
      {
        status: err.status,
        availableModels: available,
      },
    );
  }

  const models = await listModels();
  const available = chatModels(models);
  const wanted = opts.model ?? kitConfig().groq.model;
  let modelChoice: string;
  if (wanted) {
    if (!models.some((m) => m.id === wanted)) {
      const ids = available.map((m) => m.id);
      throw groqError(
        "model-unavailable",
        modelUnavailableMessage(wanted, ids, "not-listed"),
        {
          availableModels: ids,
        },
      );
    }
    model = wanted;
    modelChoice = opts.model
      ? `«${wanted}», pedido al crear el backend`
      : `«${wanted}», de GROQ_MODEL`;
  } else {
    const chosen = chooseModel(models);
    if (!chosen) {
      throw groqError(
        "model-unavailable",
        `${baseURL} no lista ningún modelo de chat. Pon uno en GROQ_MODEL (archivo .env).`,
        { availableModels: models.map((m) => m.id) },
      );
    }
    model = chosen;
    modelChoice = `«${chosen}», elegido de los ${available.length} modelos de chat que lista ` +
      "el servicio (GROQ_MODEL está vacío; se prefiere la familia Llama y el más reciente)";
  }

  const body = (prompt: PromptInput, o: GenerateOptions) => ({
    model,
    messages: toMessages(prompt),
    max_completion_tokens: o.maxTokens ?? DEFAULT_MAX_TOKENS,
    temperature: o.temperature ?? 0,
  });
  const details = (streaming: boolean, usage: GroqUsage | undefined, requestId?: string) => {
    const d: Record<string, string | number | boolean> = { streaming, offline, baseURL };
    if (requestId) d.requestId = requestId;
    if (usage?.completion_time && usage.completion_tokens) {
      d.serviceTokensPerSecond = usage.completion_tokens / usage.completion_time;
    }
    if (rateLimits?.remainingRequests !== undefined) {
      d.remainingRequests = rateLimits.remainingRequests;
    }
    if (rateLimits?.remainingTokens !== undefined) d.remainingTokens = rateLimits.remainingTokens;
    return d;
  };
  const end = (
    usage: GroqUsage | undefined,
    finish: string | null | undefined,
    streaming: boolean,
    requestId?: string,
  ): SourceEnd => ({
    tokensIn: usage?.prompt_tokens ?? 0,
    tokensOut: usage?.completion_tokens,
    stopReason: finish === "length" ? "length" : finish ? "stop" : undefined,
    model,
    serviceTimings: serviceTimingsMs(usage),
    details: details(streaming, usage, requestId),
  });

  function streamingSource(prompt: PromptInput, o: GenerateOptions): Source {
    return async function* (outer): AsyncGenerator<Piece, SourceEnd> {
      const link = linkedSignal(outer);
      try {
        return yield* streamingBody(prompt, o, link.signal);
      } finally {
        link.release();
      }
    };
  }

  async function* streamingBody(
    prompt: PromptInput,
    o: GenerateOptions,
    signal: AbortSignal,
  ): AsyncGenerator<Piece, SourceEnd> {
    const deadline = performance.now() + (o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const { data: stream, response } = await withRetries(
      (timeout) =>
        client.chat.completions.create({ ...body(prompt, o), stream: true }, { signal, timeout })
          .withResponse(),
      signal,
      deadline,
    );
    remember(response.headers);
    let usage: GroqUsage | undefined;
    let finish: string | null | undefined;
    let requestId: string | undefined;
    let text = "";
    let pieces = 0;
    try {
      for await (const chunk of stream) {
        requestId ??= chunk.x_groq?.id ?? undefined;
        if (chunk.x_groq?.error) {
          throw groqError(
            "server",
            `Groq interrumpió la respuesta: «${chunk.x_groq.error}». Repite la petición.`,
            { partialText: text },
          );
        }
        const u = (chunk.x_groq?.usage ?? (chunk as { usage?: GroqUsage }).usage) as
          | GroqUsage
          | undefined;
        if (u) usage = u;
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finish = choice.finish_reason;
        const piece = choice?.delta?.content ?? "";
        if (piece) {
          text += piece;
          pieces += 1;
          yield { text: piece };
        }
      }
    } catch (error) {
      if (signal.aborted) throw error;
      throw toGroqError(error, ctx({ partialText: text, partialTokens: pieces }));
    }
    if (!finish && !signal.aborted) {
      // The stream ended without a final chunk: the connection was cut.
      throw toGroqError(
        new Error("stream ended early"),
        ctx({ partialText: text, partialTokens: pieces }),
      );
    }
    return end(usage, finish, true, requestId);
  }

  function jsonSource(prompt: PromptInput, o: GenerateOptions): Source {
    return async function* (outer): AsyncGenerator<Piece, SourceEnd> {
      const deadline = performance.now() + (o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      const link = linkedSignal(outer);
      let data, response;
      try {
        ({ data, response } = await withRetries(
          (timeout) =>
            client.chat.completions
              .create({ ...body(prompt, o), stream: false }, { signal: link.signal, timeout })
              .withResponse(),
          link.signal,
          deadline,
        ));
      } finally {
        link.release();
      }
      remember(response.headers);
      const choice = data.choices?.[0];
      const usage = (data.usage ?? data.x_groq?.usage) as GroqUsage | undefined;
      const text = choice?.message?.content ?? "";
      if (text) yield { text, tokens: usage?.completion_tokens ?? 1 };
      return end(usage, choice?.finish_reason, false, data.x_groq?.id);
    };
  }

  return guardBackend<GroqBackend>({
    name: "Groq",
    method: 4,
    get mode() {
      return offline ? "offline" : "online";
    },
    model,
    modelChoice,
    baseURL,
    maskedKey: maskSecret(apiKey),
    models,
    get rateLimits() {
      return rateLimits;
    },
    listModels,
    /** One non-streaming chat completion (client TTFT = whole call: nothing arrives earlier). */
    generate(prompt: PromptInput, o: GenerateOptions = {}): Promise<GenerateResult> {
      return measureStream(jsonSource(prompt, o), o).result;
    },
    /** A streaming chat completion (SSE), measured token by token. */
    stream(prompt: PromptInput, o: GenerateOptions = {}): GenerationStream {
      return measureStream(streamingSource(prompt, o), o);
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  });
}
