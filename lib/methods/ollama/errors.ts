/**
 * Ollama's failures as the kit's one error type: what the server said, in Spanish, with what to
 * do next.
 *
 * @module
 */
import { KitError } from "../../core/errors.ts";

/** What went wrong talking to Ollama. */
export type KitErrorKind =
  | "server-down"
  | "not-found"
  | "bad-request"
  | "server"
  | "stream-cut"
  | "unsupported";

/**
 * An Ollama failure as the kit's one error type ({@link KitError}, method 3): a Spanish
 * explanation with what to do next, the HTTP status when the server answered one, and the
 * server's own words (its `{"error": …}`).
 */
export function ollamaError(
  kind: KitErrorKind,
  message: string,
  status?: number,
  serverMessage?: string,
): KitError {
  return new KitError(message, { method: 3, kind, status, serverMessage });
}

/** How to start a server, for messages. */
export const SERVER_DOWN_HINT = "arráncalo con scripts/ollama_start.sh (o `nohup ollama serve &`)";

/** The client's ResponseError (not exported by the package): an HTTP error with its body's message. */
function isResponseError(e: unknown): e is Error & { error: string; status_code: number } {
  return e instanceof Error && e.name === "ResponseError" &&
    typeof (e as { status_code?: unknown }).status_code === "number";
}

/**
 * Ollama's words for a missing model: `model 'x' not found` (current servers) or the older
 * `model "x" not found, try pulling it first`.
 */
export const MODEL_NOT_FOUND = /model ['"][^'"]*['"] not found/;

/** Ollama's words for `think` sent to a model that cannot think (400). */
export const NO_THINKING = /does not support thinking/;

/** Converts a thrown value from the client into an {@link KitError} (or passes it on). */
export function toKitError(error: unknown, host: string, model: string): unknown {
  if (error instanceof KitError) return error;
  if (
    error instanceof DOMException && (error.name === "AbortError" || error.name === "TimeoutError")
  ) {
    return error;
  }
  if (isResponseError(error)) {
    if (error.status_code === 404 && MODEL_NOT_FOUND.test(error.error)) {
      return ollamaError(
        "not-found",
        `El modelo "${model}" no está en el servidor de Ollama (${host}). Descárgalo: ` +
          `\`await backend.pull("${model}")\` o \`bash scripts/ollama_pull.sh ${model}\`. ` +
          `(Ollama dijo: ${error.error})`,
        404,
        error.error,
      );
    }
    if (error.status_code === 400 && NO_THINKING.test(error.error)) {
      return ollamaError(
        "unsupported",
        `El modelo "${model}" no sabe razonar («thinking»): quita la opción \`think\` ` +
          `(o usa un modelo que piense, p. ej. qwen3). (Ollama dijo: ${error.error})`,
        400,
        error.error,
      );
    }
    const bad = error.status_code < 500; // the request's fault (too long for the context…)
    const said = bad ? "no aceptó la petición" : "respondió";
    return ollamaError(
      bad ? "bad-request" : "server",
      `El servidor de Ollama ${said} ${error.status_code}: ${error.error}`,
      error.status_code,
      error.error,
    );
  }
  if (
    error instanceof TypeError && /connect|refused|error sending request|fetch/i.test(error.message)
  ) {
    return ollamaError(
      "server-down",
      `No hay ningún servidor de Ollama respondiendo en ${host}: ${SERVER_DOWN_HINT}.`,
    );
  }
  return error;
}
