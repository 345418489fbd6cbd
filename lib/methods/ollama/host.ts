/** Internal: the Ollama host the kit's configuration names (OLLAMA_HOST, read as Ollama reads it). */
import { kitConfig, KitError, OLLAMA_DEFAULT_HOST } from "../../core/mod.ts";

/**
 * The base URL from OLLAMA_HOST (default http://127.0.0.1:11434). Throws {@link KitError}
 * with the reason when OLLAMA_HOST is not an address (never falls back silently).
 */
export function configuredHost(): string {
  const { host, hostError } = kitConfig().ollama;
  if (hostError) {
    throw new KitError(`${hostError} Corrígelo (o bórralo: ${OLLAMA_DEFAULT_HOST}).`, {
      method: 3,
      kind: "other",
    });
  }
  return host ?? OLLAMA_DEFAULT_HOST;
}
