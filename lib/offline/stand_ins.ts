/**
 * Starts the kit's offline `ollama serve` (scripts/offline/ollama) as its own process on a
 * free loopback port, as the real service runs. A separate process also keeps generation from
 * competing with the client's event loop, so the client's TTFT and tok/s mean what they mean
 * against a real server. (The Groq stand-in's process: lib/offline/groq_process.ts.)
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../env/paths.ts";
import { SECRET_VARS } from "../env/secrets.ts";

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

async function spawn(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  readyUrl: string,
  baseUrl: string,
): Promise<StandIn> {
  // The stand-in needs no secrets: it gets the environment without them.
  const clean = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([k]) => !(k in SECRET_VARS)),
  );
  const child = new Deno.Command(cmd, {
    args,
    clearEnv: true,
    env: { ...clean, ...env },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
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

/** Starts the offline `ollama serve` on a free port (OLLAMA_HOST set for that process only). */
export function spawnOllamaStandIn(): Promise<StandIn> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  return spawn(
    "bash",
    [join(ROOT, "scripts", "offline", "ollama"), "serve"],
    { OLLAMA_HOST: `127.0.0.1:${port}`, DENO_BIN: Deno.execPath() },
    `${url}/api/version`,
    url,
  );
}
