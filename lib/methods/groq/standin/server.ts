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
import type { Backend } from "../../../core/types.ts";
import { GROQ_API_PREFIX } from "../wire.ts";
import { chatCompletion, type ChatContext, makeLock } from "./_chat.ts";
import { FailureQueue, failureResponse, type GroqFailure } from "./_failures.ts";
import { RateLimiter } from "./_limits.ts";
import { modelEntry, RETIRED_GROQ_MODELS } from "./_models.ts";
import { errorBody, invalidKey, json, modelNotFound, unknownUrl } from "./_replies.ts";

export type { GroqFailure } from "./_failures.ts";
export { RETIRED_GROQ_MODELS } from "./_models.ts";

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
   * the same call on a server in another process, see process.ts).
   */
  simulate(failure: GroqFailure | GroqFailure[] | null): Promise<void>;
  /** Stops generating, closes connections and stops listening. */
  close(): Promise<void>;
}

/** Path prefix of the kit's control routes (POST /kit/simulate, GET /kit/log). */
export const KIT_CONTROL_PREFIX = "/kit";

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
  const maxTokensCap = opts.maxTokensCap ?? 512;
  const limits = new RateLimiter(
    opts.limits?.requestsPerDay ?? 1000,
    opts.limits?.tokensPerMinute ?? 6000,
  );
  const failures = new FailureQueue(opts.simulate);
  const log: GroqServerLogEntry[] = [];
  const stopAll = new AbortController();
  const model = modelEntry(modelId, Math.floor(Date.now() / 1000), maxTokensCap);
  const ctx: ChatContext = {
    backend: opts.backend,
    modelId,
    retired: new Set(opts.retiredModels ?? RETIRED_GROQ_MODELS),
    maxTokensCap,
    generationTimeoutMs: opts.generationTimeoutMs ?? 60_000,
    limits,
    lock: makeLock(),
    stopAll: stopAll.signal,
  };

  /** The kit's own control routes (not Groq's): drive a server running in another process. */
  async function control(req: Request, route: string): Promise<Response> {
    if (req.method === "POST" && route === "/simulate") {
      try {
        failures.set(JSON.parse(await req.text()));
        return json(200, { ok: true, pending: failures.length });
      } catch {
        return json(
          400,
          errorBody("body must be a GroqFailure, a list of them, or null", "invalid_request_error"),
        );
      }
    }
    if (req.method === "GET" && route === "/log") return json(200, log);
    return unknownUrl(req.method, route);
  }

  /** Groq's routes: the model list, one model, chat completions. */
  async function groq(req: Request, path: string, entry: GroqServerLogEntry): Promise<Response> {
    const failure = failures.take(path);
    if (failure) entry.simulated = failure.kind;
    const failed = failure ? failureResponse(failure, modelId, limits) : null;
    if (failed) return failed;
    const route = path.slice(GROQ_API_PREFIX.length);
    if (req.method === "GET" && route === "/models") {
      return json(200, { object: "list", data: [model] });
    }
    if (req.method === "GET" && route.startsWith("/models/")) {
      const wanted = decodeURIComponent(route.slice("/models/".length));
      return wanted === modelId ? json(200, model) : modelNotFound(wanted);
    }
    if (req.method === "POST" && route === "/chat/completions") {
      let payload: Record<string, unknown> | null = null;
      try {
        payload = JSON.parse(await req.text());
        entry.model = typeof payload?.model === "string" ? payload.model : undefined;
        entry.stream = payload?.stream === true;
      } catch { /* answered by chatCompletion() with a 400 */ }
      return chatCompletion(ctx, payload, failure);
    }
    return unknownUrl(req.method, path);
  }

  async function handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname.replace(/\/+$/, "");
    if (!/^Bearer \S+/.test(req.headers.get("authorization") ?? "")) {
      return logged(req, path, invalidKey());
    }
    if (path.startsWith(KIT_CONTROL_PREFIX)) {
      return control(req, path.slice(KIT_CONTROL_PREFIX.length));
    }
    if (!path.startsWith(GROQ_API_PREFIX)) return logged(req, path, unknownUrl(req.method, path));
    const entry: GroqServerLogEntry = { method: req.method, path, status: 0 };
    const res = await groq(req, path, entry);
    entry.status = res.status;
    log.push(entry);
    return res;
  }

  /** Logs a request answered without reading it. */
  function logged(req: Request, path: string, res: Response): Response {
    log.push({ method: req.method, path, status: res.status });
    return res;
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
            failures.set(f);
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
