/**
 * The kit's offline stand-in for `ollama serve`: a Deno.serve HTTP server that speaks Ollama's
 * REST wire format (same paths, field names, units and status codes) and generates with a
 * {@link Backend} (by default the forge's `tiny` model through transformers.js). It always says
 * what it is: every response carries `X-Kit-Offline: 1` and /api/version answers a version
 * ending in "-kit-offline".
 *
 * @module
 */
import { DEFAULT_MAX_TOKENS, DEFAULT_TIMEOUT_MS, KitError } from "../../../core/mod.ts";
import type { Backend, ChatMessage, GenerateResult, PromptInput } from "../../../core/types.ts";
import type {
  WireChatChunk,
  WireGenerateChunk,
  WireProgress,
  WirePsModel,
  WireStats,
  WireTagModel,
} from "../wire.ts";
import {
  fileDigest,
  fullModelName,
  manifestDigest,
  modelFiles,
  type OfflineModel,
  readLayer,
  withEngineHeader,
} from "./models.ts";

/** The version the stand-in reports: says "kit-offline", never passes for a real Ollama. */
export const OFFLINE_VERSION = "0.12.0-kit-offline";

/** The header every response of the stand-in carries. */
export const OFFLINE_HEADER = "X-Kit-Offline";

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

const NDJSON = "application/x-ndjson";
const JSON_TYPE = "application/json; charset=utf-8";
const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;

/** An HTTP error with Ollama's `{"error": …}` body. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const ms2ns = (ms: number) => Math.max(0, Math.round(ms * 1e6));

/**
 * Parses Ollama's keep_alive: a number of seconds, or a Go duration ("5m", "30s", "1h"); a
 * negative value keeps the model loaded; 0 unloads it at once. Returns ms (Infinity = forever).
 *
 * @example
 * ```ts
 * keepAliveMs("5m"); // 300000
 * ```
 */
export function keepAliveMs(value: unknown): number {
  if (value === undefined || value === null || value === "") return DEFAULT_KEEP_ALIVE_MS;
  if (typeof value === "number") return value < 0 ? Infinity : value * 1000;
  const m = /^(-?\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(value).trim());
  if (!m) throw new HttpError(400, `time: invalid duration "${value}"`);
  const n = Number(m[1]);
  if (n < 0) return Infinity;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  return n * unit;
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

  async function tagEntry(model: OfflineModel): Promise<WireTagModel | null> {
    if (!(await model.present())) return null;
    const files = await modelFiles(model.dir);
    const newest = Math.max(0, ...files.map((f) => f.mtimeMs));
    const name = fullModelName(model.name);
    return {
      name,
      model: name,
      modified_at: new Date(newest).toISOString(),
      size: files.reduce((s, f) => s + f.size, 0),
      digest: await manifestDigest(files),
      details: model.details,
    };
  }

  async function handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname.replace(/\/+$/, "") || "/";
    const method = req.method;
    const routes: Record<string, string[]> = {
      "/": ["GET", "HEAD"],
      "/api/version": ["GET", "HEAD"],
      "/api/tags": ["GET", "HEAD"],
      "/api/ps": ["GET"],
      "/api/show": ["POST"],
      "/api/pull": ["POST"],
      "/api/generate": ["POST"],
      "/api/chat": ["POST"],
    };
    if (!routes[path]) return text(404, "404 page not found");
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
        const tag = await tagEntry(byName.get(name)!);
        if (!tag) continue;
        models.push({
          name,
          model: name,
          size: tag.size,
          digest: tag.digest,
          details: tag.details,
          expires_at: new Date(entry.expiresAt).toISOString(),
          size_vram: 0,
        });
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
    if (!model || !tag) throw new HttpError(404, `model '${name}' not found`);
    const params = model.parameters ?? {};
    const parameters = Object.entries(params).map(([k, v]) => `${k.padEnd(30)} ${v}`).join("\n");
    const template = model.template ?? "{{ .Prompt }}";
    return json(200, {
      license: "",
      modelfile: `# Modelfile generated by the kit's offline stand-in (not a real Ollama)\n` +
        `FROM ${model.dir}\nTEMPLATE """${template}"""\n` +
        Object.entries(params).map(([k, v]) => `PARAMETER ${k} ${v}\n`).join(""),
      parameters,
      template,
      details: model.details,
      model_info: model.modelInfo ?? {},
      capabilities: ["completion"],
      modified_at: tag.modified_at,
    });
  }

  function pull(body: Record<string, unknown>): Response | Promise<Response> {
    const name = body.model ?? body.name;
    if (typeof name !== "string" || !name) throw new HttpError(400, "model is required");
    const stream = body.stream !== false;
    const model = find(name);
    async function* steps(): AsyncGenerator<WireProgress> {
      yield { status: "pulling manifest" };
      if (!model) throw new Error("pull model manifest: file does not exist");
      if (!(await model.present())) {
        // The forge's notes go out as statuses while it builds, not after.
        const notes: string[] = [];
        let wake = () => {};
        let built = false;
        const building = model.build((t) => {
          notes.push(t);
          wake();
        }).finally(() => {
          built = true;
          wake();
        });
        while (!built || notes.length) {
          if (notes.length) yield { status: notes.shift()! };
          else await new Promise<void>((r) => (wake = r));
        }
        await building;
      }
      const files = await modelFiles(model.dir);
      const digests = [];
      for (const f of files) digests.push(await fileDigest(f));
      for (const [i, f] of files.entries()) {
        const digest = `sha256:${digests[i]}`;
        const status = `pulling ${digests[i].slice(0, 12)}`;
        yield { status, digest, total: f.size };
        // The layer is read again, as a download would receive it, and checked against the
        // manifest's digest.
        const layer = readLayer(f);
        let next;
        while (!(next = await layer.next()).done) {
          yield { status, digest, total: f.size, completed: next.value };
        }
        if (next.value !== digests[i]) throw new Error(`digest mismatch for ${digest}`);
      }
      yield { status: "verifying sha256 digest" };
      yield { status: "writing manifest" };
      yield { status: "success" };
    }
    if (!stream) {
      return respondLater(async () => {
        let last: WireProgress = { status: "" };
        for await (const step of steps()) last = step;
        return last;
      });
    }
    return ndjson(steps());
  }

  async function generate(kind: "generate" | "chat", body: Record<string, unknown>) {
    const name = body.model;
    if (typeof name !== "string" || !name) throw new HttpError(400, "model is required");
    const model = find(name);
    if (!model || !(await model.present())) {
      throw new HttpError(404, `model "${name}" not found, try pulling it first`);
    }
    const full = fullModelName(model.name);
    const stream = body.stream !== false;
    const keepMs = keepAliveMs(body.keep_alive);
    const options = (body.options ?? {}) as Record<string, unknown>;
    const input = promptOf(kind, body);
    const created = () => new Date().toISOString();
    const chunk = (content: string, done: boolean, stats: WireStats = {}) =>
      kind === "chat"
        ? {
          model: name,
          created_at: created(),
          message: { role: "assistant", content },
          done,
          ...stats,
        } as WireChatChunk
        : {
          model: name,
          created_at: created(),
          response: content,
          done,
          ...stats,
        } as WireGenerateChunk;

    // Empty prompt / no messages: load (or with keep_alive 0, unload) the model only.
    if (input === null) {
      if (keepMs === 0) {
        unload(full);
        return json(200, chunk("", true, { done_reason: "unload" }));
      }
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
        const { backend, loadMs } = await load(model!);
        const entry = loaded.get(full)!;
        const gen = backend.stream(input!, {
          maxTokens,
          temperature,
          signal: AbortSignal.any([controller.signal, stopper.signal]),
          timeoutMs,
        });
        for await (const piece of gen) yield chunk(piece, false);
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
          let last: WireGenerateChunk | WireChatChunk | undefined;
          for await (const c of run()) {
            text += "message" in c ? c.message.content : c.response;
            last = c;
          }
          if (!last) throw new Error("generation ended without a final chunk");
          return "message" in last
            ? { ...last, message: { role: "assistant", content: text } }
            : { ...last, response: text };
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

/** Ollama's statistics for a finished generation, in nanoseconds, from a backend's result. */
export function statsOf(r: GenerateResult, loadMs: number, totalMs: number): WireStats {
  const t = r.serviceTimings ?? {};
  return {
    done_reason: r.stopReason === "length" ? "length" : "stop",
    total_duration: ms2ns(totalMs),
    load_duration: ms2ns(loadMs),
    prompt_eval_count: r.tokensIn,
    // Prefill: the engine's own figure (llama.cpp's), else the backend's TTFT.
    prompt_eval_duration: ms2ns(t.promptEvalMs ?? r.timings.ttftMs ?? r.timings.totalMs),
    eval_count: r.tokensOut,
    // Decode: likewise, else from the first token to the last.
    eval_duration: ms2ns(t.evalMs ?? r.timings.decodeMs),
  };
}

function promptOf(kind: "generate" | "chat", body: Record<string, unknown>): PromptInput | null {
  if (kind === "generate") {
    const prompt = body.prompt ?? "";
    if (typeof prompt !== "string") throw new HttpError(400, "prompt must be a string");
    if (!prompt) return null;
    if (typeof body.system === "string" && body.system) {
      return [{ role: "system", content: body.system }, { role: "user", content: prompt }];
    }
    return prompt;
  }
  const messages = body.messages ?? [];
  if (!Array.isArray(messages)) throw new HttpError(400, "messages must be an array");
  if (messages.length === 0) return null;
  return messages.map((m, i): ChatMessage => {
    const role = m?.role;
    if (!["system", "user", "assistant"].includes(role) || typeof m?.content !== "string") {
      throw new HttpError(400, `invalid message ${i}: role must be system, user or assistant`);
    }
    return { role, content: m.content };
  });
}

async function readBody(req: Request): Promise<Record<string, unknown>> {
  const raw = await req.text();
  if (!raw.trim()) throw new HttpError(400, "missing request body");
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new HttpError(400, `invalid character in request body: ${errorText(error)}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function headers(type: string): Headers {
  return new Headers({ "Content-Type": type, [OFFLINE_HEADER]: "1" });
}

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), { status, headers: headers(JSON_TYPE) });
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: headers("text/plain; charset=utf-8") });
}

function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) return json(error.status, { error: error.message });
  return json(KitError.is(error, "bad-request") ? 400 : 500, { error: errorText(error) });
}

/** A JSON response computed in full first; errors become Ollama's 4xx/5xx `{"error"}` bodies. */
async function respondLater(compute: () => Promise<unknown>): Promise<Response> {
  try {
    return json(200, await compute());
  } catch (error) {
    return errorResponse(error);
  }
}

/**
 * An NDJSON streaming response: one JSON object per line; an error thrown while streaming
 * becomes a final `{"error": "..."}` line (the status, 200, has already gone out).
 */
function ndjson(
  items: AsyncGenerator<unknown>,
  onCancel?: () => void,
  onEnd?: () => void,
): Response {
  const enc = new TextEncoder();
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd?.();
    }
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await items.next();
        if (next.done) {
          controller.close();
          end();
        } else controller.enqueue(enc.encode(JSON.stringify(next.value) + "\n"));
      } catch (error) {
        controller.enqueue(enc.encode(JSON.stringify({ error: errorText(error) }) + "\n"));
        controller.close();
        end();
      }
    },
    async cancel() {
      onCancel?.();
      await items.return(undefined).catch(() => {});
      end();
    },
  });
  return new Response(body, { status: 200, headers: headers(NDJSON) });
}
