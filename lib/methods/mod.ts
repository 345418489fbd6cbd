/**
 * The four methods of the session, one folder each: `pipeline/` (method 1), `optimized/`
 * (method 2), `ollama/` (method 3) and `groq/` (method 4), plus `hf/`, the transformers.js code
 * methods 1 and 2 share. Each method decides its own mode (online/offline, and why) with one
 * rule; {@link methodModes} collects them and {@link openAllBackends} opens the four for the
 * comparison: online where the real service is configured and reachable, otherwise the kit's
 * offline stand-ins (the local model; local Ollama- and Groq-protocol servers started as their
 * own processes), each backend labelled with its mode. `close()` stops everything it started.
 *
 * @module
 */
import { type Backend, kitConfig, type MethodMode } from "../core/mod.ts";
import { hubMode } from "./hf/mode.ts";
import { createPipelineBackend } from "./pipeline/backend.ts";
import { createOptimizedBackend } from "./optimized/backend.ts";
import { ollamaBackend } from "./ollama/backend.ts";
import { ollamaMode, runScript } from "./ollama/mode.ts";
import { openOllamaStandIn } from "./ollama/standin/process.ts";
import { chooseOllamaModel } from "./ollama/models.ts";
import { groqBackend } from "./groq/backend.ts";
import { connectOffline } from "./groq/connect.ts";
import { groqMode } from "./groq/mode.ts";

export { measureMethodMemory, methodMemory } from "./memory.ts";

/**
 * How each of the four methods runs on this machine, and why: the same answer the notebooks
 * and the demo act on. KIT_OFFLINE=1 skips every network probe.
 *
 * @example
 * ```ts
 * for (const m of await methodModes()) console.log(m.name, m.mode, m.reason);
 * ```
 */
export async function methodModes(): Promise<MethodMode[]> {
  const [one, two, three, four] = await Promise.all([
    hubMode(1),
    hubMode(2),
    ollamaMode(),
    groqMode(),
  ]);
  const { method, name, mode, reason } = three;
  return [one, two, { method, name, mode, reason }, four];
}

/** A method that could not be opened, with the reason (Spanish). */
export interface OpenFailure {
  method: number;
  name: string;
  error: string;
}

/** The opened backends and how to stop what was started for them. */
export interface OpenedBackends {
  backends: Backend[];
  failures: OpenFailure[];
  /** Method number → pid of the local server started for it (offline stand-ins). */
  serverPids: Record<number, number>;
  /** Closes every backend and stops every local server started here. */
  close(): Promise<void>;
}

/**
 * Opens the four methods, in order. One that fails is reported in `failures` and the others
 * go on.
 *
 * @example
 * ```ts
 * const { backends, close } = await openAllBackends();
 * try { … } finally { await close(); }
 * ```
 */
export async function openAllBackends(): Promise<OpenedBackends> {
  const backends: Backend[] = [];
  const failures: OpenFailure[] = [];
  const stops: (() => Promise<void>)[] = [];
  const serverPids: Record<number, number> = {};
  const attempt = async (method: number, name: string, open: () => Promise<Backend>) => {
    try {
      backends.push(await open());
    } catch (e) {
      failures.push({ method, name, error: (e as Error).message });
    }
  };

  await attempt(1, "Pipeline", () => createPipelineBackend());
  await attempt(2, "Optimizado", () => createOptimizedBackend({ dtype: "q4" }));
  await attempt(3, "Ollama", async () => {
    const mode = await ollamaMode();
    if (mode.mode === "online" && mode.needs === "start") {
      // Installed but not running: start it as notebook 03 does, and stop it at the end.
      const started = await runScript("ollama_start.sh", [], mode);
      if (started.code === 0) {
        stops.push(async () => void await runScript("ollama_stop.sh", [], mode));
      }
    }
    if (mode.mode === "online" && mode.needs !== "install") {
      // The model: OLLAMA_MODEL, else the kit's preference among what the server has pulled;
      // pulled (with its progress bar) only when the server has none of them.
      const choice = await chooseOllamaModel(mode.host, kitConfig().ollama.model);
      console.log(`Ollama: modelo ${choice.model} — ${choice.reason}`);
      const backend = await ollamaBackend({
        model: choice.model,
        host: mode.host,
        choiceReason: choice.reason,
      });
      if (!choice.present) await backend.pull(choice.model);
      return backend;
    }
    // Not installed: the demo installs nothing on this machine (notebook 03 does, when asked).
    const { server, backend } = await openOllamaStandIn();
    stops.push(server.stop);
    serverPids[3] = server.pid;
    return backend;
  });
  await attempt(4, "Groq", async () => {
    const mode = await groqMode();
    if (mode.mode === "online") return await groqBackend({ notify: () => {} });
    const conn = await connectOffline(mode.reason, { notify: () => {} });
    stops.push(() => conn.server!.close());
    const pid = conn.server!.pid;
    if (pid) serverPids[4] = pid;
    return conn.backend;
  });

  return {
    backends,
    failures,
    serverPids,
    async close() {
      for (const b of backends) await b.close().catch(() => {});
      for (const stop of stops) await stop().catch(() => {});
    },
  };
}
export { METHOD_NAMES, type MethodName, type OpenedMethod, openMethod } from "./open.ts";
