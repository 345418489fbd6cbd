/**
 * Loading a model whose files are damaged (onnxruntime: "Protobuf parsing failed"): a forge
 * model is built again from the forge and loaded once more; any other model gets a Spanish
 * KitError naming the folder to delete and how to get it back.
 *
 * @module
 */
import { join } from "node:path";
import { KitError } from "../../core/errors.ts";
import { CACHE_DIR } from "../../core/paths.ts";
import { ensureModel } from "../../forge/mod.ts";
import type { ResolvedModel } from "./catalogue.ts";

/** onnxruntime's and transformers.js's words for a model file it could not parse. */
const CORRUPT =
  /Protobuf parsing failed|INVALID_PROTOBUF|Load model from .* failed|invalid model|model_path must not be empty|Deserialize tensor .* failed/i;

/** True for an error that says a model file is damaged (not a missing device or memory). */
export function isCorruptModelError(error: unknown): boolean {
  return CORRUPT.test(error instanceof Error ? error.message : String(error));
}

/**
 * Runs `load`; when it fails because a model file is damaged, rebuilds a forge model (saying
 * so through `log`) and runs `load` once more, or throws a KitError saying how to repair it.
 *
 * @example
 * ```ts
 * const model = await loadRepairing(resolved, () => AutoModelForCausalLM.from_pretrained(id));
 * ```
 */
export async function loadRepairing<T>(
  resolved: ResolvedModel,
  load: () => Promise<T>,
  log: (line: string) => void = console.warn,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isCorruptModelError(error)) throw error;
    const said = (error as Error).message.split("\n")[0].slice(0, 200);
    const folder = resolved.localModelPath
      ? join(resolved.localModelPath, resolved.id)
      : join(CACHE_DIR, "hf", resolved.id);
    if (resolved.entry?.source !== "forge") {
      throw new KitError(
        `Un archivo del modelo «${resolved.id}» está dañado (onnxruntime: ${said}). Borra la ` +
          `carpeta ${folder} y vuelve a crear el backend: ` +
          (resolved.localModelPath
            ? "copia o fabrica el modelo de nuevo en esa carpeta."
            : "se descargará otra vez del Hub."),
        { kind: "forge", cause: error },
      );
    }
    log(`⚠ El modelo «${resolved.id}» no se pudo cargar (${said}): se vuelve a fabricar.`);
    await ensureModel(resolved.entry.id, { rebuild: `onnxruntime no pudo leerlo (${said})`, log });
    try {
      return await load();
    } catch (again) {
      throw new KitError(
        `El modelo «${resolved.id}» sigue sin cargarse tras fabricarlo de nuevo ` +
          `(${(again as Error).message.split("\n")[0].slice(0, 200)}). Borra ${folder} y ` +
          "vuelve a intentarlo; si se repite, el disco puede estar lleno o dañado.",
        { kind: "forge", cause: again },
      );
    }
  }
}
