/**
 * Starts the kit's offline `ollama serve` (scripts/offline/ollama) as its own process on a
 * free loopback port, as the real service runs. A separate process also keeps generation from
 * competing with the client's event loop, so the client's TTFT and tok/s mean what they mean
 * against a real server.
 *
 * @module
 */
import { join } from "node:path";
import { freePort, ROOT, spawnServer, type StandIn } from "../../../core/mod.ts";
import { type OllamaBackend, ollamaBackend } from "../backend.ts";
import { OFFLINE_MODEL } from "../mode.ts";
import { withTag } from "../models.ts";

export type { StandIn };

/** Starts the offline `ollama serve` on a free port (OLLAMA_HOST set for that process only). */
export function spawnOllamaStandIn(): Promise<StandIn> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  return spawnServer(
    "bash",
    [join(ROOT, "scripts", "offline", "ollama"), "serve"],
    { OLLAMA_HOST: `127.0.0.1:${port}`, DENO_BIN: Deno.execPath() },
    `${url}/api/version`,
    url,
  );
}

/** The offline stand-in started, with a backend on its default model, made available. */
export interface OpenStandIn {
  server: StandIn;
  backend: OllamaBackend;
}

/**
 * Starts the offline stand-in and opens a backend on {@link OFFLINE_MODEL}, pulling it first
 * when the server does not list it yet (on the stand-in a pull builds the GGUF file from the
 * kit's weights: a second or two, once), as a student would run `ollama pull` before asking.
 */
export async function openOllamaStandIn(): Promise<OpenStandIn> {
  const server = await spawnOllamaStandIn();
  try {
    const backend = await ollamaBackend({ model: OFFLINE_MODEL, host: server.url });
    const listed = (await backend.list()).some((m) => withTag(m.name) === withTag(OFFLINE_MODEL));
    if (!listed) await backend.pull(OFFLINE_MODEL, { quiet: true });
    return { server, backend };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
