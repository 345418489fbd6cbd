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
