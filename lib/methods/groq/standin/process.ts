/**
 * The offline Groq-protocol server in its own process, as a real service would be. In the
 * notebook's kernel this matters for the measurements: generation on the local model keeps
 * a process's event loop busy, so a client in the same process would receive the tokens in
 * bursts and measure a wrong TTFT and tok/s. In a child process the client measures what a
 * client of a real server measures.
 *
 * The child gets no secrets (GROQ_API_KEY and HF_TOKEN are removed from its environment) and
 * exits when its stdin closes, so it never outlives the kernel that started it.
 *
 * Run directly: `deno run -A lib/offline/groq_process.ts [--port N] [--dtype fp32]`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { ROOT } from "../../../core/paths.ts";
import { childEnv } from "../../../core/config.ts";
import type { Dtype } from "../../../measure/memory.ts";
import {
  type GroqFailure,
  type GroqServerLogEntry,
  KIT_CONTROL_PREFIX,
  startGroqServer,
} from "./server.ts";
import { localBackend } from "../../optimized/local.ts";

/** The line the child prints once it listens: this prefix, then JSON `{url, port, modelId}`. */
const READY = "KIT_GROQ_SERVER_READY ";

/** A key the control routes accept (the server wants a bearer token; this is not a key). */
const CONTROL_TOKEN = "kit-offline-control";

/** The offline server running in a child process. */
export interface GroqServerProcess {
  readonly url: string;
  readonly port: number;
  readonly modelId: string;
  /** Process id of the child. */
  readonly pid: number;
  /** Queues failures to imitate (null clears the queue). */
  simulate(failure: GroqFailure | GroqFailure[] | null): Promise<void>;
  /** The requests the server handled (never any header). */
  requests(): Promise<GroqServerLogEntry[]>;
  /** Stops the server and waits for the child to exit. */
  close(): Promise<void>;
}

/** Options for {@link spawnGroqServer}. */
export interface SpawnOptions {
  /** Port (default 0: any free port). */
  port?: number;
  /** dtype of the local model (default fp32). */
  dtype?: Dtype;
  /** Where the child's messages go (e.g. "Fabricando el modelo…"); default console.log. */
  log?: (line: string) => void;
  /** Most time to wait for the child to listen, ms (default 120 000: it may build the model). */
  startTimeoutMs?: number;
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    buffer += text;
    let i: number;
    while ((i = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
    }
  }
  if (buffer) yield buffer;
}

/**
 * Starts the offline Groq server in a child Deno process generating with `localBackend()`;
 * resolves once it listens. Stop it with `close()`.
 *
 * @example
 * ```ts
 * const server = await spawnGroqServer();
 * const groq = await groqBackend({ baseURL: server.url, apiKey: "kit-offline-no-es-una-clave" });
 * await server.close();
 * ```
 */
export async function spawnGroqServer(opts: SpawnOptions = {}): Promise<GroqServerProcess> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      fileURLToPath(import.meta.url),
      "--port",
      String(opts.port ?? 0),
      "--dtype",
      opts.dtype ?? "fp32",
    ],
    cwd: ROOT,
    env: childEnv({ NO_COLOR: "1" }),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const errors: string[] = [];
  const stderrDone = (async () => {
    for await (const line of lines(child.stderr)) {
      if (line.trim()) errors.push(line);
    }
  })();

  const out = lines(child.stdout);
  let ready: { url: string; port: number; modelId: string } | null = null;
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.startTimeoutMs ?? 120_000);
  try {
    // Read by hand: leaving a for-await early would close the child's stdout.
    while (true) {
      const next = await out.next();
      if (next.done) break;
      if (next.value.startsWith(READY)) {
        ready = JSON.parse(next.value.slice(READY.length));
        break;
      }
      log(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  const stdoutDone = (async () => {
    for await (const line of out) log(line);
  })();

  async function stop(): Promise<void> {
    try {
      await stdin.close();
    } catch { /* already closed */ }
    const killer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 5_000);
    await child.status;
    clearTimeout(killer);
    await Promise.all([stdoutDone, stderrDone]);
  }

  if (!ready) {
    await stop();
    throw new Error(
      "No arrancó el servidor local con el protocolo de Groq." +
        (errors.length ? `\n${errors.slice(-10).join("\n")}` : ""),
    );
  }
  const { url, port, modelId } = ready;
  const control = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${url}${KIT_CONTROL_PREFIX}${route}`, {
      method,
      headers: { authorization: `Bearer ${CONTROL_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) throw new Error(`servidor local: ${res.status} ${JSON.stringify(data)}`);
    return data;
  };
  return {
    url,
    port,
    modelId,
    pid: child.pid,
    async simulate(failure) {
      await control("POST", "/simulate", failure);
    },
    requests: () => control("GET", "/log"),
    close: stop,
  };
}

/** The child: serve until stdin closes (the parent went away) or a signal arrives. */
async function main(args: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const backend = await localBackend({ dtype: (arg("--dtype") ?? "fp32") as Dtype });
  const server = await startGroqServer({ backend, port: Number(arg("--port") ?? 0) });
  console.log(
    READY + JSON.stringify({ url: server.url, port: server.port, modelId: server.modelId }),
  );
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      try {
        Deno.addSignalListener(signal, () => resolve());
      } catch { /* not supported here */ }
    }
    (async () => {
      const buf = new Uint8Array(256);
      try {
        while ((await Deno.stdin.read(buf)) !== null) { /* ignore input */ }
      } catch { /* closed */ }
      resolve();
    })();
  });
  await stopped;
  await server.close();
  Deno.exit(0);
}

if (import.meta.main) await main(Deno.args);
