/**
 * The four methods, ready to compare: online where the real service is configured and
 * reachable, otherwise the kit's offline stand-ins (the local `tiny` model; local Ollama- and
 * Groq-protocol servers started as their own processes), each backend labelled with its
 * mode. `close()` stops everything this module started.
 *
 * @module
 */
import { methodModes } from "../env/services.ts";
import { ollamaHost } from "../env/services.ts";
import { OFFLINE_PLACEHOLDER_KEY } from "../offline/groq_connect.ts";
import { ONLINE_DEFAULT_MODEL } from "../offline/ollama_setup.ts";
import { spawnGroqServer } from "../offline/groq_process.ts";
import { spawnOllamaStandIn } from "../offline/stand_ins.ts";
import { groqBackend } from "./groq.ts";
import { ollamaBackend } from "./ollama.ts";
import { createOptimizedBackend } from "./optimized.ts";
import { createPipelineBackend } from "./pipeline.ts";
import type { Backend } from "./types.ts";

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
  const modes = await methodModes();
  const online = (m: number) => modes.find((x) => x.method === m)?.mode === "online";
  const backends: Backend[] = [];
  const failures: OpenFailure[] = [];
  const stops: (() => Promise<void>)[] = [];
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
    if (online(3)) {
      return await ollamaBackend({
        model: Deno.env.get("OLLAMA_MODEL") || ONLINE_DEFAULT_MODEL,
        host: ollamaHost(),
      });
    }
    const server = await spawnOllamaStandIn();
    stops.push(server.stop);
    return await ollamaBackend({ model: "tiny", host: server.url });
  });
  await attempt(4, "Groq", async () => {
    if (online(4)) return await groqBackend({ notify: () => {} });
    const server = await spawnGroqServer({ log: () => {} });
    stops.push(() => server.close());
    return await groqBackend({
      baseURL: server.url,
      apiKey: OFFLINE_PLACEHOLDER_KEY,
      notify: () => {},
    });
  });

  return {
    backends,
    failures,
    async close() {
      for (const b of backends) await b.close().catch(() => {});
      for (const stop of stops) await stop().catch(() => {});
    },
  };
}
