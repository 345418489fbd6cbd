/**
 * Child processes, one helper for each need: a free port, a server started as its own process
 * (the stand-ins), and "run this script in a fresh Deno process and read its JSON result"
 * (memory measurements and benchmarks, so peaks of one run never mix with another's).
 * Children get the environment without secrets.
 *
 * @module
 */
import { childEnv, kitConfig } from "./config.ts";

/** A stand-in server running in its own process. */
export interface StandIn {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  pid: number;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked from the OS). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

async function waitFor(url: string, child: Deno.ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let exited = false;
  child.status.then(() => (exited = true));
  while (performance.now() < deadline) {
    if (exited) throw new Error(`el proceso terminó antes de responder en ${url}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status < 500) return; // any answer means it listens (Groq wants a key)
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no respondió en ${url} en ${timeoutMs / 1000} s`);
}

/**
 * Starts `cmd args` as a server process (no secrets in its environment) and waits until
 * `readyUrl` answers; `baseUrl` is what callers use. The server's stdin is a pipe held by this
 * process and KIT_EXIT_WITH_STDIN=1 is set for it: a server that honours it (the Ollama
 * stand-in, see {@link exitWhenStdinCloses}) exits when this process is gone, even after SIGKILL.
 *
 * @example
 * ```ts
 * const s = await spawnServer("bash", ["serve.sh"], {}, "http://127.0.0.1:9/x", "http://127.0.0.1:9");
 * await s.stop();
 * ```
 */
export async function spawnServer(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  readyUrl: string,
  baseUrl: string,
): Promise<StandIn> {
  const child = new Deno.Command(cmd, {
    args,
    clearEnv: true,
    // KIT_EXIT_WITH_STDIN: the server ends when its stdin closes, which the OS does when this
    // process ends in any way (also SIGKILL): it never outlives its parent (see lifeline).
    env: childEnv({ ...env, KIT_EXIT_WITH_STDIN: "1" }),
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const lifeline = child.stdin.getWriter();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await lifeline.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 5000);
    await child.status;
    clearTimeout(timer);
  };
  try {
    await waitFor(readyUrl, child, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: baseUrl, pid: child.pid, stop };
}

/** A fresh-process run that did not produce its JSON result. */
export class FreshProcessError extends Error {
  override name = "FreshProcessError";
}

/** Options of {@link runFresh}. */
export interface FreshOptions {
  /** Extra flags for `deno run` (e.g. `--v8-flags=--expose-gc`). */
  denoFlags?: string[];
  /** Working directory. */
  cwd?: string;
  /** Time limit (default 10 minutes). */
  timeoutMs?: number;
}

/**
 * Runs `deno run -A <flags> <script> <args…>` in a fresh process and returns the JSON object
 * its last stdout line holds. Throws {@link FreshProcessError} with the last lines of stderr
 * when the process fails or prints no JSON.
 *
 * @example
 * ```ts
 * const r = await runFresh<{ peakRss: number }>("lib/forge/_rss_probe.ts", [dir, "q4"]);
 * ```
 */
export async function runFresh<T>(
  script: string,
  args: string[],
  opts: FreshOptions = {},
): Promise<T> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...(opts.denoFlags ?? []), script, ...args],
    cwd: opts.cwd,
    clearEnv: true,
    env: childEnv(),
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(opts.timeoutMs ?? 600_000),
  }).output();
  const last = new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "";
  if (!success || !last.startsWith("{")) {
    const err = new TextDecoder().decode(stderr).trim().split("\n").filter(Boolean).slice(-3);
    throw new FreshProcessError(err.join(" / ") || "el proceso terminó sin resultado");
  }
  return JSON.parse(last) as T;
}

/**
 * For a server started by {@link spawnServer}: when KIT_EXIT_WITH_STDIN=1 (kitConfig's
 * `exitWithStdin`), calls `stop` once stdin reaches its end — the parent closed it or died.
 * Does nothing otherwise (a server started with `nohup … &` has /dev/null as stdin).
 *
 * @example
 * ```ts
 * exitWhenStdinCloses(() => server.close());
 * ```
 */
export function exitWhenStdinCloses(stop: () => void): void {
  if (!kitConfig().exitWithStdin) return;
  (async () => {
    const buf = new Uint8Array(256);
    try {
      while ((await Deno.stdin.read(buf)) !== null) { /* ignore input */ }
    } catch { /* closed */ }
    stop();
  })();
}
