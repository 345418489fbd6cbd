/**
 * What the hub's refusals mean for a student: a gated model (Meta's Llama, Google's Gemma …)
 * answers 401 without a token and 403 with a token whose account has not accepted the licence.
 * transformers.js says only `Unauthorized access to file: "…/config.json"`; the kit says which
 * model, which variable to set and where to accept the licence.
 *
 * @module
 */
import { KitError } from "../../core/errors.ts";
import { kitConfig } from "../../core/config.ts";
import type { CatalogueEntry } from "./catalogue.ts";
import { hubErrorCode } from "./transformers.ts";

/** Where a student creates a read token. */
export const HF_TOKENS_URL = "https://huggingface.co/settings/tokens";

/** How fetch says the connection failed (Deno, undici), as opposed to an HTTP answer. */
const NETWORK_FAILURE =
  /fetch failed|error sending request|connection (refused|reset|closed)|network|ECONN|dns error/i;

/** The HTTP status of a transformers.js load error (its ModelFileNotFoundError, or its message). */
function statusOf(error: unknown): number | null {
  const status = (error as { status?: unknown })?.status;
  if (typeof status === "number") return status;
  const m = error instanceof Error ? error.message : "";
  if (/^Unauthorized access to file/.test(m)) return 401;
  if (/^Forbidden access to file/.test(m)) return 403;
  return null;
}

/**
 * Converts a load error for hub model `id` into a Spanish {@link KitError} when the hub refused
 * it (401/403: gated, or no access), does not have it (RepoNotFound) or could not be reached
 * (the connection failed); anything else is returned as it came.
 */
export function hubLoadError(
  error: unknown,
  id: string,
  method: 1 | 2,
  entry?: CatalogueEntry,
): unknown {
  if (error instanceof KitError) return error; // already explained (e.g. a stalled download)
  const status = statusOf(error);
  const { hf } = kitConfig();
  const page = `${hf.endpoint}/${id}`;
  const said = error instanceof Error ? error.message : String(error);
  if (status === null && NETWORK_FAILURE.test(said)) {
    return new KitError(
      `No se pudo descargar «${id}» del Hub (${hf.endpoint}): la conexión falló (${said}). ` +
        `Comprueba la red (o HF_ENDPOINT) y vuelve a ejecutar la celda: lo ya descargado queda ` +
        `en la caché. Sin conexión, KIT_OFFLINE=1 usa el modelo local del kit.`,
      { method, kind: "network", cause: error },
    );
  }
  if (status !== null && hubErrorCode(id) === "RepoNotFound") {
    // The hub answers 401 (no token) or 404 for a repo it does not have, or that is private.
    return new KitError(
      `El Hub (${hf.endpoint}) no tiene el modelo «${id}» (${status}, RepoNotFound): revisa el ` +
        `nombre (organización/modelo; búscalo en ${hf.endpoint}/models). Si es un repositorio ` +
        `privado, HF_TOKEN debe ser de una cuenta con acceso.`,
      { method, kind: "not-found", status, cause: error },
    );
  }
  if (status !== 401 && status !== 403) return error;
  const known = entry?.gated ? " (data/models.json lo marca como restringido)" : "";
  const gated = `El modelo «${id}» es de acceso restringido («gated») en el Hub${known}`;
  const accept = `acepta su licencia con tu cuenta en ${page}`;
  const message = hf.token
    ? `${gated}: el Hub rechazó tu HF_TOKEN (${status}). ${accept[0].toUpperCase()}${
      accept.slice(1)
    } (la aprobación puede tardar) y comprueba que el token es de esa cuenta y tiene permiso ` +
      `de lectura (${HF_TOKENS_URL}).`
    : `${gated} y no hay HF_TOKEN (${status}). Para usarlo: 1) ${accept}; 2) crea un token de ` +
      `lectura en ${HF_TOKENS_URL}; 3) ponlo en HF_TOKEN (archivo .env en tu ordenador, o ` +
      `Secretos de Colab con acceso del cuaderno) y reinicia el kernel. O usa un modelo abierto ` +
      `del catálogo (data/models.json).`;
  return new KitError(message, {
    method,
    kind: hf.token ? "forbidden" : "missing-key",
    status,
    cause: error,
  });
}
