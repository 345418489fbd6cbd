/**
 * The kit's offline stand-in for `ollama serve`: a Deno.serve HTTP server that speaks Ollama's
 * REST wire format (same paths, field names, units and status codes) and generates with a
 * {@link Backend} (by default the forge's `tiny` model through transformers.js). It always says
 * what it is: every response carries `X-Kit-Offline: 1` and /api/version answers a version
 * ending in "-kit-offline".
 *
 * @module
 */
import { DEFAULT_MAX_TOKENS, DEFAULT_TIMEOUT_MS } from "../../../core/types.ts";
import type { Backend, GenerateResult } from "../../../core/types.ts";
import type {
  WireChatChunk,
  WireGenerateChunk,
  WireProgress,
  WirePsModel,
  WireStats,
} from "../wire.ts";
import { fullModelName, type OfflineModel, withEngineHeader } from "./models.ts";
import { psEntry, showBody, tagEntry } from "./describe.ts";
import {
  errorResponse,
  errorText,
  HttpError,
  json,
  ndjson,
  readBody,
  respondLater,
  text,
} from "./_http.ts";
import { pullSteps } from "./pull.ts";
import {
  jsonFormat,
  keepAliveMs,
  modelNotFound,
  NOT_IMPLEMENTED,
  notImplemented,
  outputShaper,
  promptOf,
  rawConflict,
  ROUTES,
  statsOf,
  thinkingWanted,
} from "./protocol.ts";

export { keepAliveMs, statsOf } from "./protocol.ts";

/** The version the stand-in reports: says "kit-offline", never passes for a real Ollama. */
export const OFFLINE_VERSION = "0.12.0-kit-offline";

export { OFFLINE_HEADER } from "./_http.ts";

/** Most tokens one request may ask for (num_predict is capped here: every generation is bounded). */
export const MAX_PREDICT = 1024;

/** Options for {@link startOllamaServer}. */
export interface OllamaServerOptions {
  /** Port (default 11434; 0 picks a free one). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** The models it serves. */
  models: OfflineModel[];
  /** Generates for models that bring no backend of their own (a backend, or how to make one). */
  backend?: Backend | (() => Promise<Backend>);
  /** Bound on one generation's wall-clock time in ms (default 2 minutes). */
  timeoutMs?: number;
  /** Writes a log line (default: console.error, as `ollama serve` logs to stderr). */
  log?: (line: string) => void;
}

/** A running stand-in server. */
export interface OllamaServer {
  /** Base URL, e.g. "http://127.0.0.1:11434". */
  url: string;
  port: number;
  /**
   * Stops accepting requests and cancels running generations. Backends are not closed: they
   * belong to whoever gave them (localBackend() shares one per dtype in the process).
   */
  close(): Promise<void>;
  /** Resolves once the server has stopped. */
  finished: Promise<void>;
}

interface Loaded {
  backend: Backend;
  expiresAt: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Starts the offline Ollama-protocol server. Endpoints: GET / and /api/version, /api/tags,
 * /api/ps; POST /api/show, /api/pull, /api/generate, /api/chat (NDJSON streams or
 * `stream: false`). Generations run one at a time (a queue), each bounded by num_predict
 * (capped at {@link MAX_PREDICT}) and a timeout; a client that disconnects aborts its generation.
 *
 * @example
 * ```ts
 * const server = await startOllamaServer({ port: 0, models: [tiny], backend: localBackend });
 * console.log(await (await fetch(`${server.url}/api/version`)).json());
 * await server.close();
 * ```
 */
export function startOllamaServer(opts: OllamaServerOptions): Promise<OllamaServer> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const byName = new Map(opts.models.map((m) => [fullModelName(m.name), m]));
  const loaded = new Map<string, Loaded>();
  const running = new Set<AbortController>();
  let queue: Promise<unknown> = Promise.resolve();
  const stopper = new AbortController();
  let sharedBackend: Promise<Backend> | null = null;

  /** Runs generations one after another, as Ollama does with OLLAMA_NUM_PARALLEL=1. */
  function serialized<T>(task: () => Promise<T>): Promise<T> {
    const next = queue.then(task, task);
    queue = next.catch(() => {});
    return next;
  }

  function find(name: unknown): OfflineModel | undefined {
    return typeof name === "string" && name ? byName.get(fullModelName(name)) : undefined;
  }

  function unload(name: string) {
    const entry = loaded.get(name);
    if (!entry) return;
    loaded.delete(name);
    clearTimeout(entry.timer);
    log(`offline: modelo ${name} descargado de memoria`);
  }

  function touch(name: string, entry: Loaded, keepMs: number) {
    clearTimeout(entry.timer);
    entry.expiresAt = keepMs === Infinity ? 8.64e15 : Date.now() + keepMs;
    if (keepMs !== Infinity) {
      const timer = setTimeout(() => unload(name), keepMs);
      Deno.unrefTimer(timer);
      entry.timer = timer;
    }
  }

  /** The model's backend, loaded if needed; returns it and the load time in ms (0 if loaded). */
  async function load(model: OfflineModel): Promise<{ backend: Backend; loadMs: number }> {
    const name = fullModelName(model.name);
    const have = loaded.get(name);
    if (have) return { backend: have.backend, loadMs: 0 };
    const t0 = performance.now();
    let backend: Backend;
    try {
      if (model.backend) backend = await model.backend();
      else if (opts.backend) {
        const source = opts.backend;
        sharedBackend ??= typeof source === "function" ? source() : Promise.resolve(source);
        backend = await sharedBackend.catch((e) => {
          sharedBackend = null;
          throw e;
        });
      } else throw new Error(`no backend to generate with ${name}`);
    } catch (error) {
      throw new HttpError(500, `error loading model ${name}: ${errorText(error)}`);
    }
    const loadMs = performance.now() - t0;
    loaded.set(name, { backend, expiresAt: 0 });
    log(`offline: modelo ${name} cargado en ${loadMs.toFixed(0)} ms`);
    return { backend, loadMs };
  }

  async function handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname.replace(/\/+$/, "") || "/";
    const method = req.method;
    const routes = ROUTES;
    if (!routes[path] && NOT_IMPLEMENTED.includes(path)) return notImplemented(path);
    if (!routes[path]) return text(404, "404 page not found"); // as Ollama's router answers
    if (!routes[path].includes(method)) return text(405, "405 method not allowed");
    if (path === "/") return text(200, "Ollama is running (kit offline stand-in)");
    if (path === "/api/version") return json(200, { version: OFFLINE_VERSION });
    if (path === "/api/tags") {
      const models = [];
      for (const m of byName.values()) {
        const entry = await tagEntry(m);
        if (entry) models.push(entry);
      }
      return json(200, { models });
    }
    if (path === "/api/ps") {
      const models: WirePsModel[] = [];
      for (const [name, entry] of loaded) {
        const ps = await psEntry(byName.get(name)!, entry.expiresAt);
        if (ps) models.push(ps);
      }
      return json(200, { models });
    }
    const body = await readBody(req);
    if (path === "/api/pull") return pull(body);
    const kind = path === "/api/chat" ? "chat" : "generate";
    const res = path === "/api/show" ? await show(body) : await generate(kind, body);
    return await withEngineHeader(res, find(body.model ?? body.name));
  }

  async function show(body: Record<string, unknown>): Promise<Response> {
    const name = body.model ?? body.name;
    if (typeof name !== "string" || !name) throw new HttpError(400, "model is required");
    const model = find(name);
    const tag = model ? await tagEntry(model) : null;
    if (!model || !tag) throw modelNotFound(name);
    return json(200, showBody(model, tag));
  }

  function pull(body: Record<string, unknown>): Response | Promise<Response> {
    const name = body.model ?? body.name;
    if (typeof name !== "string" || !name) throw new HttpError(400, "model is required");
    const stream = body.stream !== false;
    const model = find(name);
    if (!stream) {
      return respondLater(async () => {
        let last: WireProgress = { status: "" };
        for await (const step of pullSteps(model)) last = step;
        return last;
      });
    }
    return ndjson(pullSteps(model));
  }

  async function generate(kind: "generate" | "chat", body: Record<string, unknown>) {
    const name = body.model;
    if (typeof name !== "string" || !name) throw new HttpError(400, "model is required");
    const model = find(name);
    if (!model || !(await model.present())) throw modelNotFound(name);
    const full = fullModelName(model.name);
    const keepMs = keepAliveMs(body.keep_alive);
    const input = promptOf(kind, body);
    const created = () => new Date().toISOString();
    const chunk = (content: string, done: boolean, stats: WireStats = {}, thinking = "") =>
      kind === "chat"
        ? {
          model: name,
          created_at: created(),
          message: { role: "assistant", content, ...(thinking ? { thinking } : {}) },
          done,
          ...stats,
        } as WireChatChunk
        : {
          model: name,
          created_at: created(),
          response: content,
          ...(thinking ? { thinking } : {}),
          done,
          ...stats,
        } as WireGenerateChunk;

    // In Ollama's order: an unload request first, then raw mode's conflicts, then `think`.
    if (input === null && keepMs === 0) {
      unload(full);
      return json(200, chunk("", true, { done_reason: "unload" }));
    }
    if (kind === "generate") rawConflict(body);
    const thinks = thinkingWanted(body.think, name, model.capabilities ?? ["completion"]);
    const asJson = jsonFormat(body.format);
    const stream = body.stream !== false;
    const options = (body.options ?? {}) as Record<string, unknown>;

    // Empty prompt / no messages: load the model only.
    if (input === null) {
      await serialized(() => load(model));
      touch(full, loaded.get(full)!, keepMs);
      return json(200, chunk("", true, { done_reason: "load" }));
    }
    const numPredict = Number(
      options.num_predict ?? model.parameters?.num_predict ?? DEFAULT_MAX_TOKENS,
    );
    const maxTokens = Math.min(MAX_PREDICT, numPredict < 0 ? MAX_PREDICT : Math.max(1, numPredict));
    const temperature = Number(options.temperature ?? model.parameters?.temperature ?? 0);
    const controller = new AbortController();

    async function* run(): AsyncGenerator<WireGenerateChunk | WireChatChunk> {
      const started = performance.now();
      running.add(controller);
      try {
        // As Ollama: load_duration runs from the request's start to the model being ready, so
        // it is never 0 (a few µs when the model is already loaded).
        const { backend } = await load(model!);
        const loadMs = performance.now() - started;
        const entry = loaded.get(full)!;
        const gen = backend.stream(input!, {
          maxTokens,
          temperature,
          signal: AbortSignal.any([controller.signal, stopper.signal]),
          timeoutMs,
        });
        const shape = outputShaper({
          thinkingModel: !!model!.capabilities?.includes("thinking"),
          thinks,
          asJson,
        });
        for await (const piece of gen) {
          for (const o of shape.push(piece)) yield chunk(o.content, false, {}, o.thinking);
        }
        for (const o of shape.end()) yield chunk(o.content, false, {}, o.thinking);
        const r: GenerateResult = await gen.result;
        touch(full, entry, keepMs);
        if (controller.signal.aborted) return;
        yield chunk("", true, statsOf(r, loadMs, performance.now() - started));
      } finally {
        running.delete(controller);
      }
    }

    if (!stream) {
      return respondLater(() =>
        serialized(async () => {
          let text = "";
          let thought = "";
          let last: WireGenerateChunk | WireChatChunk | undefined;
          for await (const c of run()) {
            text += "message" in c ? c.message.content : c.response;
            thought += ("message" in c ? c.message.thinking : c.thinking) ?? "";
            last = c;
          }
          if (!last) throw new Error("generation ended without a final chunk");
          const thinking = thought ? { thinking: thought } : {};
          return "message" in last
            ? { ...last, message: { role: "assistant", content: text, ...thinking } }
            : { ...last, response: text, ...thinking };
        })
      );
    }
    // Headers go out once the generation has its turn and its model is loaded, so a load
    // failure is still a 500; later errors can only travel as an NDJSON error line. The queue
    // stays busy until this stream has ended or its client has gone.
    return await new Promise<Response>((resolve) => {
      serialized(async () => {
        const it = run();
        let first: IteratorResult<WireGenerateChunk | WireChatChunk>;
        try {
          first = await it.next();
        } catch (error) {
          resolve(errorResponse(error));
          return;
        }
        async function* all() {
          if (!first.done) yield first.value;
          yield* it;
        }
        let finished!: () => void;
        const done = new Promise<void>((r) => (finished = r));
        resolve(ndjson(all(), () => controller.abort(), finished));
        await done;
      });
    });
  }

  return new Promise((resolveStart, rejectStart) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        port: opts.port ?? 11434,
        hostname: opts.hostname ?? "127.0.0.1",
        signal: stopper.signal,
        onListen: () => {},
        onError: (error) => {
          log(`offline: error: ${errorText(error)}`);
          return json(500, { error: errorText(error) });
        },
      }, async (req) => {
        const t0 = performance.now();
        let res: Response;
        try {
          res = await handle(req);
        } catch (error) {
          res = errorResponse(error);
        }
        log(
          `[GIN] ${new Date().toISOString()} | ${res.status} | ${
            (performance.now() - t0).toFixed(1)
          }ms | ${req.method} "${new URL(req.url).pathname}"`,
        );
        return res;
      });
    } catch (error) {
      rejectStart(error);
      return;
    }
    const port = server.addr.port;
    const host = server.addr.hostname === "0.0.0.0" ? "127.0.0.1" : server.addr.hostname;
    resolveStart({
      url: `http://${host}:${port}`,
      port,
      finished: server.finished,
      async close() {
        for (const c of running) c.abort();
        stopper.abort();
        await server.finished.catch(() => {});
        for (const name of [...loaded.keys()]) unload(name);
      },
    });
  });
}
