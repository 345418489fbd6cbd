/**
 * Which Ollama model the kit uses on a real server: OLLAMA_MODEL when set, else the first of an
 * ordered preference list that is already pulled (GET /api/tags), else another Llama-family
 * model that is pulled, else the default, to be pulled. The choice always says why.
 *
 * @module
 */
import { ollamaError, SERVER_DOWN_HINT } from "./errors.ts";
import type { WireTagModel } from "./wire.ts";

/**
 * The kit's preference, in order: small Llama models first (the session is about the Llama
 * family, and a laptop or a Colab T4 runs a 1B model comfortably).
 */
export const OLLAMA_PREFERENCE: readonly string[] = [
  "llama3.2:1b",
  "llama3.2:3b",
  "llama3.2:latest",
  "llama3.1:8b",
  "llama3.1:latest",
  "llama3:8b",
  "tinyllama:latest",
];

/** The model pulled when none is present and OLLAMA_MODEL names none. */
export const OLLAMA_DEFAULT_PULL = OLLAMA_PREFERENCE[0];

/** A model choice and the reason for it (Spanish, shown to the student). */
export interface OllamaChoice {
  model: string;
  /** Whether the server already has it (false: it must be pulled first). */
  present: boolean;
  reason: string;
}

/** "llama3.2" → "llama3.2:latest"; names with a tag are kept. */
export function withTag(name: string): string {
  const last = name.split("/").at(-1)!;
  return last.includes(":") ? name : `${name}:latest`;
}

/**
 * Chooses among the models a server has (its /api/tags `models`). Pure: the oracle for the
 * rules above.
 *
 * @example
 * ```ts
 * chooseFromTags([{ name: "qwen3:0.6b", ... }, { name: "llama3.2:3b", ... }], undefined).model;
 * // "llama3.2:3b"
 * ```
 */
export function chooseFromTags(
  tags: Pick<WireTagModel, "name" | "size" | "details" | "remote_host" | "remote_model">[],
  wanted: string | undefined,
): OllamaChoice {
  const names = new Set(tags.map((t) => withTag(t.name)));
  // Never chosen on its own: a cloud model (it runs on Ollama's servers: nothing local to
  // measure) or an embedding model (it cannot generate).
  const skipped = tags.filter((t) => !runsHere(t));
  tags = tags.filter(runsHere);
  const besides = skipped.length
    ? ` (no se eligen solos: ${
      skipped.map((t) => t.name).join(", ")
    }, modelos en la nube o de embeddings)`
    : "";
  if (wanted) {
    const present = names.has(withTag(wanted));
    return {
      model: wanted,
      present,
      reason: present
        ? `OLLAMA_MODEL=${wanted} (ya descargado en el servidor)`
        : `OLLAMA_MODEL=${wanted}, que el servidor aún no tiene: hay que descargarlo (pull)`,
    };
  }
  const preferred = OLLAMA_PREFERENCE.find((p) => tags.some((t) => withTag(t.name) === p));
  if (preferred) {
    return {
      model: preferred,
      present: true,
      reason: `el primero de la lista de preferencia del kit (${
        OLLAMA_PREFERENCE.join(", ")
      }) que el servidor ya tiene${besides}`,
    };
  }
  const bySize = [...tags].sort((a, b) => a.size - b.size);
  const llama = bySize.find((t) =>
    t.details?.family === "llama" || (t.details?.families ?? []).includes("llama")
  );
  if (llama) {
    return {
      model: llama.name,
      present: true,
      reason: `ninguno de la lista de preferencia está descargado; ${llama.name} es el modelo ` +
        `de la familia Llama más pequeño que el servidor tiene${besides}`,
    };
  }
  if (bySize.length) {
    return {
      model: bySize[0].name,
      present: true,
      reason: `el servidor no tiene ningún modelo Llama; se usa el más pequeño que tiene ` +
        `(${bySize[0].name})${besides}. Para un Llama: OLLAMA_MODEL=${OLLAMA_DEFAULT_PULL} y pull`,
    };
  }
  return {
    model: OLLAMA_DEFAULT_PULL,
    present: false,
    reason: `el servidor no tiene ningún modelo que se pueda usar aquí${besides}: hay que ` +
      `descargar ${OLLAMA_DEFAULT_PULL} (pull)`,
  };
}

/** A model that runs on this server and generates: not a cloud model, not an embedding model. */
function runsHere(t: Pick<WireTagModel, "name" | "details" | "remote_host" | "remote_model">) {
  const families = [t.details?.family ?? "", ...(t.details?.families ?? [])].join(" ");
  return !t.remote_host && !t.remote_model && !/embed/i.test(t.name) && !/bert/i.test(families);
}

/**
 * Asks a server which models it has (GET /api/tags) and chooses with {@link chooseFromTags}.
 * Throws {@link KitError} "server-down" when nothing answers.
 */
export async function chooseOllamaModel(
  host: string,
  wanted: string | undefined,
): Promise<OllamaChoice> {
  let tags: WireTagModel[];
  try {
    const res = await fetch(`${host}/api/tags`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) {
      const body = await res.text();
      throw ollamaError("server", `GET /api/tags respondió ${res.status}: ${body}`, res.status);
    }
    tags = (await res.json()).models ?? [];
  } catch (error) {
    if (error instanceof Error && error.name === "KitError") throw error;
    throw ollamaError(
      "server-down",
      `No hay ningún servidor de Ollama respondiendo en ${host}: ${SERVER_DOWN_HINT}.`,
    );
  }
  return chooseFromTags(tags, wanted);
}
