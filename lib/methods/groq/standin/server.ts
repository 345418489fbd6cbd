/**
 * A local server that speaks Groq's protocol, for offline classes and tests: GET
 * /openai/v1/models, POST /openai/v1/chat/completions (JSON, or SSE streaming ending in
 * `data: [DONE]` with `x_groq.usage` in the final chunk), Groq's x-ratelimit-* headers and
 * error bodies. It has no text generator of its own: it generates with the {@link Backend}
 * it is given (in practice `localBackend()`, the kit's model kit-es), one request at a
 * time (the wait is reported as `queue_time`).
 *
 * It is visibly offline: every response carries `X-Kit-Offline: 1`, its model ids start with
 * `kit-offline` and are owned by "kit-offline". It can be told to fail the way Groq fails
 * (401, 429 with retry-after, 5xx, a retired model, a slow answer, a disconnect mid-stream),
 * for tests and for the notebook's section on errors. It never logs request headers.
 *
 * @module
 */
import type { Backend, ChatMessage, GenerateResult } from "../../../core/types.ts";
import { checkChat } from "./check.ts";
import {
  formatGoDuration,
  GROQ_API_PREFIX,
  type GroqErrorBody,
  type GroqModelEntry,
  type GroqUsage,
  OFFLINE_HEADER,
  RATE_LIMIT_HEADERS,
} from "../wire.ts";

/** A failure the server can imitate. `times` (default 1) says for how many requests. */
export type GroqFailure =
  & { times?: number }
  & (
    | { kind: "unauthorized" }
    | { kind: "rate-limit"; retryAfterS?: number; limit?: "tokens" | "requests" }
    | { kind: "server-error"; status?: 500 | 502 | 503 }
    | { kind: "retired" }
    | { kind: "slow"; delayMs: number }
    | { kind: "disconnect"; afterChunks?: number }
  );

/** Options for {@link startGroqServer}. */
export interface GroqServerOptions {
  /** Generates the answers (e.g. `await localBackend()`); not closed by the server. */
  backend: Backend;
  /** Port (default 0: any free port). Always listens on 127.0.0.1. */
  port?: number;
  /** The one model id served (default "kit-offline-<the backend's model>"). */
  modelId?: string;
  /** Ids answered with 400 model_decommissioned, as Groq does for retired models. */
  retiredModels?: string[];
  /** Failures to imitate, in order, from the first request. */
  simulate?: GroqFailure[];
  /** The rate limits announced and enforced (defaults: 1000 requests/day, 6000 tokens/min). */
  limits?: { requestsPerDay?: number; tokensPerMinute?: number };
  /** Upper bound on max_completion_tokens (default 512). */
  maxTokensCap?: number;
  /** Time limit for one generation, in ms (default 60 000). */
  generationTimeoutMs?: number;
}

/** One handled request, as the server logs it (never any header). */
export interface GroqServerLogEntry {
  method: string;
  path: string;
  status: number;
  model?: string;
  stream?: boolean;
  /** The imitated failure, if one was applied. */
  simulated?: GroqFailure["kind"];
}

/** A running offline Groq-protocol server. */
export interface GroqServer {
  /** Base URL to give groq-sdk (`baseURL`), e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  readonly port: number;
  /** The model id it serves. */
  readonly modelId: string;
  /** Requests handled so far. */
  readonly log: readonly GroqServerLogEntry[];
  /**
   * Queues failures to imitate (null clears the queue). Applied at once (the promise is for
   * the same call on a server in another process, see groq_process.ts).
   */
  simulate(failure: GroqFailure | GroqFailure[] | null): Promise<void>;
  /** Stops generating, closes connections and stops listening. */
  close(): Promise<void>;
}

/** Retired Groq models the server answers with 400 model_decommissioned by default. */
export const RETIRED_GROQ_MODELS = ["llama-3.1-8b-instant", "llama-3.3-70b-versatile"];

/** Path prefix of the kit's control routes (POST /kit/simulate, GET /kit/log). */
export const KIT_CONTROL_PREFIX = "/kit";

const SYSTEM_FINGERPRINT = "fp_kit_offline";
const OWNER = "kit-offline";
const DAY_S = 86_400;

function randomId(prefix: string): string {
  return prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 26);
}

function errorBody(message: string, type: string, code?: string): GroqErrorBody {
  return { error: code ? { message, type, code } : { message, type } };
}

function messagesOf(raw: unknown): ChatMessage[] | null {
  if (!Array.isArray(raw) || raw.length === 0) return null;
  const out: ChatMessage[] = [];
  for (const m of raw) {
    if (!m || typeof m !== "object") return null;
    const { role, content } = m as { role?: unknown; content?: unknown };
    const text = typeof content === "string"
      ? content
      : Array.isArray(content)
      ? content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join(
        "",
      )
      : "";
    if (role === "system" || role === "developer") out.push({ role: "system", content: text });
    else if (role === "user" || role === "assistant") out.push({ role, content: text });
  }
  return out.length ? out : null;
}

/** A one-at-a-time lock: generation on the local model is not re-entrant. */
function makeLock() {
  let tail = Promise.resolve();
  return async function acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const before = tail;
    tail = tail.then(() => mine);
    await before;
    return release;
  };
}

/**
 * Starts the offline Groq-protocol server on 127.0.0.1. Stop it with `close()`.
 *
 * @example
 * ```ts
 * const server = await startGroqServer({ backend: await localBackend() });
 * const client = new Groq({ baseURL: server.url, apiKey: "kit-offline-sin-clave" });
 * server.simulate({ kind: "rate-limit", retryAfterS: 1 });
 * await server.close();
 * ```
 */
export function startGroqServer(opts: GroqServerOptions): Promise<GroqServer> {
  const modelId = opts.modelId ?? `kit-offline-${Reflect.get(opts.backend, "model") ?? "kit-es"}`;
  const retired = new Set(opts.retiredModels ?? RETIRED_GROQ_MODELS);
  const requestsPerDay = opts.limits?.requestsPerDay ?? 1000;
  const tokensPerMinute = opts.limits?.tokensPerMinute ?? 6000;
  const maxTokensCap = opts.maxTokensCap ?? 512;
  const generationTimeoutMs = opts.generationTimeoutMs ?? 60_000;
  const failures: GroqFailure[] = [...(opts.simulate ?? [])];
  const log: GroqServerLogEntry[] = [];
  const stopAll = new AbortController();
  const lock = makeLock();
  const startedAt = Date.now();
  const created = Math.floor(startedAt / 1000);
  let requestsToday = 0;
  let tokenLog: { at: number; tokens: number }[] = [];

  const model: GroqModelEntry = {
    id: modelId,
    object: "model",
    created,
    owned_by: OWNER,
    active: true,
    context_window: 2048,
    max_completion_tokens: maxTokensCap,
  };

  function tokensThisMinute(now: number): number {
    tokenLog = tokenLog.filter((t) => now - t.at < 60_000);
    return tokenLog.reduce((s, t) => s + t.tokens, 0);
  }

  function limitHeaders(over?: "tokens" | "requests"): Record<string, string> {
    const now = Date.now();
    const used = tokensThisMinute(now);
    const resetTokensS = tokenLog.length ? (60_000 - (now - tokenLog[0].at)) / 1000 : 0;
    const resetRequestsS = DAY_S - ((now - startedAt) / 1000) % DAY_S;
    const h = RATE_LIMIT_HEADERS;
    return {
      [h.limitRequests]: String(requestsPerDay),
      [h.remainingRequests]: String(
        over === "requests" ? 0 : Math.max(0, requestsPerDay - requestsToday),
      ),
      [h.resetRequests]: formatGoDuration(resetRequestsS),
      [h.limitTokens]: String(tokensPerMinute),
      [h.remainingTokens]: String(over === "tokens" ? 0 : Math.max(0, tokensPerMinute - used)),
      [h.resetTokens]: formatGoDuration(resetTokensS),
    };
  }

  function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", [OFFLINE_HEADER]: "1", ...headers },
    });
  }

  function nextFailure(path: string): GroqFailure | undefined {
    const f = failures[0];
    if (!f) return undefined;
    // A bad key fails every endpoint; the other failures are for chat completions.
    if (f.kind !== "unauthorized" && !path.endsWith("/chat/completions")) return undefined;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) failures.shift();
    else failures[0] = { ...f, times: left };
    return f;
  }

  function failureResponse(f: GroqFailure): Response | null {
    switch (f.kind) {
      case "unauthorized":
        return json(401, errorBody("Invalid API Key", "invalid_request_error", "invalid_api_key"));
      case "rate-limit": {
        const retryAfterS = f.retryAfterS ?? 1;
        const over = f.limit ?? "tokens";
        const what = over === "tokens"
          ? `tokens per minute (TPM): Limit ${tokensPerMinute}, Used ${tokensPerMinute}, Requested 100`
          : `requests per day (RPD): Limit ${requestsPerDay}, Used ${requestsPerDay}, Requested 1`;
        return json(
          429,
          errorBody(
            `Rate limit reached for model \`${modelId}\` in organization \`org_kit_offline\` ` +
              `service tier \`on_demand\` on ${what}. Please try again in ${retryAfterS}s. ` +
              "(simulated by the kit's offline server)",
            over,
            "rate_limit_exceeded",
          ),
          { ...limitHeaders(over), [RATE_LIMIT_HEADERS.retryAfter]: String(retryAfterS) },
        );
      }
      case "server-error": {
        const status = f.status ?? 500;
        const text = status === 503
          ? "Service Unavailable"
          : status === 502
          ? "Bad Gateway"
          : "Internal Server Error";
        return json(
          status,
          errorBody(`${text} (simulated by the kit's offline server)`, "internal_server_error"),
        );
      }
      case "retired":
        return null; // handled once the model id is known
      default:
        return null;
    }
  }

  async function chat(
    payload: Record<string, unknown> | null,
    failure: GroqFailure | undefined,
  ): Promise<Response> {
    if (!payload || typeof payload !== "object") {
      return json(
        400,
        errorBody("We could not parse the JSON body of your request.", "invalid_request_error"),
      );
    }
    const wanted = typeof payload.model === "string" ? payload.model : "";
    if (!wanted) {
      return json(400, errorBody("property 'model' is missing", "invalid_request_error"));
    }
    if (retired.has(wanted) || failure?.kind === "retired") {
      return json(
        400,
        errorBody(
          `The model \`${wanted}\` has been decommissioned and is no longer supported. Please ` +
            "refer to https://console.groq.com/docs/deprecations for a recommendation on which " +
            "model to use instead.",
          "invalid_request_error",
          "model_decommissioned",
        ),
      );
    }
    if (wanted !== modelId) {
      return json(
        404,
        errorBody(
          `The model \`${wanted}\` does not exist or you do not have access to it.`,
          "invalid_request_error",
          "model_not_found",
        ),
      );
    }
    const messages = messagesOf(payload.messages);
    if (!messages) {
      return json(
        400,
        errorBody("'messages' must be a non-empty array of messages", "invalid_request_error"),
      );
    }
    const checked = checkChat(opts.backend, messages, payload, maxTokensCap);
    if (typeof checked === "string") return json(400, errorBody(checked, "invalid_request_error"));
    const { maxTokens, temperature } = checked, now = Date.now();
    if (requestsToday >= requestsPerDay || tokensThisMinute(now) >= tokensPerMinute) {
      const over = requestsToday >= requestsPerDay ? "requests" : "tokens";
      const wait = over === "tokens" ? (60_000 - (now - tokenLog[0].at)) / 1000 : DAY_S;
      return failureResponse({ kind: "rate-limit", limit: over, retryAfterS: Math.ceil(wait) })!;
    }
    requestsToday += 1;
    if (failure?.kind === "slow") {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, failure.delayMs);
        stopAll.signal.addEventListener("abort", finish, { once: true });
        function finish() {
          clearTimeout(timer);
          stopAll.signal.removeEventListener("abort", finish);
          resolve();
        }
      });
    }
    const stream = payload.stream === true;
    const id = randomId("chatcmpl-");
    const requestId = randomId("req_");
    const createdS = Math.floor(Date.now() / 1000);
    const arrivedAt = performance.now();
    // Aborted when the server stops or (streaming) when the client goes away.
    const cancelled = new AbortController();
    const signal = AbortSignal.any([stopAll.signal, cancelled.signal]);
    const genOpts = { maxTokens, temperature, signal, timeoutMs: generationTimeoutMs };
    const headers = { ...limitHeaders(), [OFFLINE_HEADER]: "1" };

    const usageOf = (r: GenerateResult, queueS: number): GroqUsage => {
      const promptS = (r.timings.ttftMs ?? r.timings.totalMs) / 1000;
      const completionS = Math.max(0, r.timings.totalMs / 1000 - promptS);
      tokenLog.push({ at: Date.now(), tokens: r.tokensIn + r.tokensOut });
      return {
        queue_time: queueS,
        prompt_tokens: r.tokensIn,
        prompt_time: promptS,
        completion_tokens: r.tokensOut,
        completion_time: completionS,
        total_tokens: r.tokensIn + r.tokensOut,
        total_time: promptS + completionS,
      };
    };
    const finishOf = (r: GenerateResult) => (r.stopReason === "length" ? "length" : "stop");

    if (!stream) {
      const release = await lock();
      try {
        const queueS = (performance.now() - arrivedAt) / 1000;
        const r = await opts.backend.generate(messages, genOpts);
        if (failure?.kind === "disconnect") return brokenBody(headers);
        return json(200, {
          id,
          object: "chat.completion",
          created: createdS,
          model: modelId,
          choices: [{
            index: 0,
            message: { role: "assistant", content: r.text },
            logprobs: null,
            finish_reason: finishOf(r),
          }],
          usage: usageOf(r, queueS),
          system_fingerprint: SYSTEM_FINGERPRINT,
          x_groq: { id: requestId },
        }, headers);
      } finally {
        release();
      }
    }

    const encoder = new TextEncoder();
    const chunk = (delta: Record<string, string>, finish: string | null, xGroq?: object) =>
      encoder.encode(
        `data: ${
          JSON.stringify({
            id,
            object: "chat.completion.chunk",
            created: createdS,
            model: modelId,
            system_fingerprint: SYSTEM_FINGERPRINT,
            choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
            ...(xGroq ? { x_groq: xGroq } : {}),
          })
        }\n\n`,
      );
    const cutAfter = failure?.kind === "disconnect" ? failure.afterChunks ?? 3 : Infinity;

    async function* events(): AsyncGenerator<Uint8Array> {
      const release = await lock();
      try {
        const queueS = (performance.now() - arrivedAt) / 1000;
        const gen = opts.backend.stream(messages!, genOpts);
        yield chunk({ role: "assistant", content: "" }, null, { id: requestId });
        let sent = 0;
        for await (const piece of gen) {
          if (sent >= cutAfter) throw new Error("simulated disconnect");
          yield chunk({ content: piece }, null);
          sent += 1;
        }
        if (sent >= cutAfter) throw new Error("simulated disconnect");
        const r = await gen.result;
        yield chunk({}, finishOf(r), { id: requestId, usage: usageOf(r, queueS) });
        yield encoder.encode("data: [DONE]\n\n");
      } finally {
        release();
      }
    }

    const it = events();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await it.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          // Erroring the body makes Deno drop the connection mid-response: a disconnect.
          controller.error(error);
        }
      },
      async cancel() {
        cancelled.abort();
        await it.return(undefined);
      },
    });
    return new Response(body, {
      status: 200,
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers },
    });
  }

  function brokenBody(headers: Record<string, string>): Response {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"id":"chatcmpl-'));
      },
      pull(controller) {
        controller.error(new Error("simulated disconnect"));
      },
    });
    return new Response(body, {
      status: 200,
      headers: { "content-type": "application/json", ...headers },
    });
  }

  function setFailures(f: GroqFailure | GroqFailure[] | null) {
    failures.length = 0;
    if (f) failures.push(...(Array.isArray(f) ? f : [f]));
  }

  /** The kit's own control routes (not Groq's): drive a server running in another process. */
  async function control(req: Request, route: string): Promise<Response> {
    if (req.method === "POST" && route === "/simulate") {
      try {
        setFailures(JSON.parse(await req.text()));
        return json(200, { ok: true, pending: failures.length });
      } catch {
        return json(
          400,
          errorBody("body must be a GroqFailure, a list of them, or null", "invalid_request_error"),
        );
      }
    }
    if (req.method === "GET" && route === "/log") return json(200, log);
    return json(
      404,
      errorBody(
        `Unknown request URL: ${req.method} ${route}.`,
        "invalid_request_error",
        "unknown_url",
      ),
    );
  }

  async function handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname.replace(/\/+$/, "");
    const entry: GroqServerLogEntry = { method: req.method, path, status: 0 };
    const done = (res: Response) => {
      entry.status = res.status;
      log.push(entry);
      return res;
    };
    const auth = req.headers.get("authorization") ?? "";
    if (!/^Bearer \S+/.test(auth)) {
      return done(
        json(401, errorBody("Invalid API Key", "invalid_request_error", "invalid_api_key")),
      );
    }
    const unknownUrl = () =>
      done(json(
        404,
        errorBody(
          `Unknown request URL: ${req.method} ${path}.`,
          "invalid_request_error",
          "unknown_url",
        ),
      ));
    if (path.startsWith(KIT_CONTROL_PREFIX)) {
      return control(req, path.slice(KIT_CONTROL_PREFIX.length));
    }
    if (!path.startsWith(GROQ_API_PREFIX)) {
      return unknownUrl();
    }
    const failure = nextFailure(path);
    if (failure) entry.simulated = failure.kind;
    const failed = failure ? failureResponse(failure) : null;
    if (failed) return done(failed);
    const route = path.slice(GROQ_API_PREFIX.length);
    if (req.method === "GET" && route === "/models") {
      return done(json(200, { object: "list", data: [model] }));
    }
    if (req.method === "GET" && route.startsWith("/models/")) {
      const wanted = decodeURIComponent(route.slice("/models/".length));
      return done(
        wanted === modelId ? json(200, model) : json(
          404,
          errorBody(
            `The model \`${wanted}\` does not exist or you do not have access to it.`,
            "invalid_request_error",
            "model_not_found",
          ),
        ),
      );
    }
    if (req.method === "POST" && route === "/chat/completions") {
      let payload: Record<string, unknown> | null = null;
      try {
        payload = JSON.parse(await req.text());
        entry.model = typeof payload?.model === "string" ? payload.model : undefined;
        entry.stream = payload?.stream === true;
      } catch { /* answered by chat() with a 400 */ }
      return done(await chat(payload, failure));
    }
    return unknownUrl();
  }

  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: opts.port ?? 0,
      onListen: ({ port }) => {
        resolve({
          url: `http://127.0.0.1:${port}`,
          port,
          modelId,
          log,
          simulate(f) {
            setFailures(f);
            return Promise.resolve();
          },
          async close() {
            stopAll.abort();
            await server.shutdown();
          },
        });
      },
      onError: () =>
        json(500, errorBody("Internal Server Error (kit offline server)", "internal_server_error")),
    }, handle);
  });
}
