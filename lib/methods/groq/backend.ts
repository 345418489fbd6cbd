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
import { kitConfig } from "../../core/config.ts";
import { maskSecret } from "../../core/secrets.ts";
import { measureStream, type Piece, type Source, type SourceEnd } from "../../core/stream.ts";
import {
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
import { chatModels, chooseGroqModel } from "./models.ts";
import { findGroqKey } from "./key.ts";
import type { GroqBackend, GroqOptions } from "./options.ts";
import { abortableSleep, linkedSignal } from "./_signals.ts";
import { cutNote, partsReader, reasoningRequest, toMessages } from "./stream_parts.ts";
import { openSafely } from "./redacted.ts";
import {
  type ErrorContext,
  groqError,
  missingKeyMessage,
  modelUnavailableMessage,
  toGroqError,
} from "./errors.ts";

export { groqError, type GroqErrorKind, redact } from "./errors.ts";
export * from "./models.ts";
export * from "./key.ts";
export type { GroqBackend, GroqOptions } from "./options.ts";
export * from "./timings.ts";
export { REASONING_ALLOWANCE, reasoningRequest } from "./stream_parts.ts";
export {
  describeRateLimits,
  formatSeconds,
  type GroqModelEntry,
  type GroqUsage,
  parseRateLimits,
  type RateLimits,
} from "./wire.ts";

/**
 * Connects to Groq (or anything speaking its protocol): finds the key, lists the models (which
 * checks the key), picks the model; "offline" only when the server says it is the kit's
 * stand-in. Throws a {@link KitError}: missing key, 401, unknown/retired model, network, …
 * Example: `(await groqBackend()).generate("¿Qué es un LPU?", { maxTokens: 64 })`.
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
  // Offline only when the server says it is the kit's stand-in (its header): a local proxy in
  // front of the real Groq is online.
  let offline = false;
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
    // A 404 for a model the list names: it is listed but not served to this key (or is being
    // retired); it is not offered back as "available".
    const listed = available?.includes(model) ?? false;
    const others = available?.filter((id) => id !== model);
    return groqError(
      "model-unavailable",
      modelUnavailableMessage(
        model,
        others,
        listed && err.status === 404 ? "listed-but-404" : reason,
      ),
      { status: err.status, availableModels: others },
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
        { availableModels: ids },
      );
    }
    model = wanted;
    modelChoice = opts.model
      ? `«${wanted}», pedido al crear el backend`
      : `«${wanted}», de GROQ_MODEL (tiene prioridad sobre la lista de preferencia del kit)`;
  } else {
    const chosen = chooseGroqModel(models);
    if (!chosen) {
      throw groqError(
        "model-unavailable",
        `${baseURL} no lista ningún modelo de chat. Pon uno en GROQ_MODEL (archivo .env).`,
        { availableModels: models.map((m) => m.id) },
      );
    }
    model = chosen.id;
    modelChoice = chosen.reason;
  }

  const body = (prompt: PromptInput, o: GenerateOptions) => {
    const r = reasoningRequest(model, o.maxTokens ?? DEFAULT_MAX_TOKENS);
    return {
      model,
      messages: toMessages(prompt),
      max_completion_tokens: r.max_completion_tokens,
      temperature: o.temperature ?? 0,
      ...r.extra,
    };
  };
  const details = (streaming: boolean, usage: GroqUsage | undefined, requestId?: string) => {
    const engine = offline ? "onnxruntime (transformers.js), sustituto del kit" : "GroqCloud (LPU)";
    const d: Record<string, string | number | boolean> = { streaming, offline, baseURL, engine };
    const note = reasoningRequest(model, 1).note;
    if (note) d.reasoningNote = note.replace(/ \d+ \+ /, " lo pedido + ");
    const reasoningTokens = usage?.completion_tokens_details?.reasoning_tokens;
    if (typeof reasoningTokens === "number") d.reasoningTokens = reasoningTokens;
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
    answered = true,
  ): SourceEnd => ({
    tokensIn: usage?.prompt_tokens ?? 0,
    tokensOut: usage?.completion_tokens,
    stopReason: finish === "length" ? "length" : finish ? "stop" : undefined,
    model,
    serviceTimings: serviceTimingsMs(usage),
    details: { ...details(streaming, usage, requestId), ...cutNote(model, finish, answered) },
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
    const reader = partsReader();
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
        for (const piece of reader.push(choice?.delta)) {
          if (piece.kind !== "thinking") text += piece.text;
          pieces += piece.tokens ?? 1;
          yield piece;
        }
      }
      yield* reader.end();
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
    return end(usage, finish, true, requestId, text !== "");
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
      // Whole answer: reasoning first, then the answer (split when it came as <think> text).
      const reader = partsReader();
      const parts = [
        ...reader.push(choice?.message),
        ...reader.end(),
      ];
      const thinking = parts.filter((p) => p.kind === "thinking").map((p) => p.text).join("");
      const text = parts.filter((p) => p.kind !== "thinking").map((p) => p.text).join("");
      const reasoningTokens = usage?.completion_tokens_details?.reasoning_tokens;
      if (thinking) yield { text: thinking, kind: "thinking", tokens: reasoningTokens ?? 1 };
      if (text) {
        const all = usage?.completion_tokens ?? 1;
        yield { text, tokens: thinking ? Math.max(1, all - (reasoningTokens ?? 1)) : all };
      }
      return end(usage, choice?.finish_reason, false, data.x_groq?.id, text !== "");
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
