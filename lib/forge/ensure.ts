/**
 * "Make sure this model exists": builds a preset once into `.cache/models/<preset>` and reuses
 * it while the forge's code, the corpus and the options stay the same (content hash).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { CACHE_DIR, ROOT } from "../core/paths.ts";
import { buildModel, DEFAULT_GRAPH, removeStalePartials, STAMP_FILE } from "./build.ts";
import { CORPUS_PATH } from "./corpus.ts";
import { type ForgeDtype, getPreset } from "./presets.ts";
import { readVerifiedWeights, trainedTokenizerFiles } from "./trained.ts";

/** Options of {@link ensureModel}. */
export interface EnsureOptions {
  /** Model folder (default `.cache/models/<preset>`). */
  out?: string;
  /** ONNX variants that must exist (default: the preset's). */
  dtypes?: ForgeDtype[];
  /** Whether model.safetensors must exist (default: the preset's). */
  safetensors?: boolean;
  /** Progress lines (Spanish); default console.log. */
  log?: (line: string) => void;
  /** Build again even if the folder looks complete, saying why (e.g. a file failed to load). */
  rebuild?: string;
}

/**
 * Files of a finished model folder whose size is not the one its stamp (forge.json) recorded:
 * missing, truncated or overwritten after the build. An ONNX file written with external data
 * was recorded with its `<name>_data` file's bytes included (as the build reports it), so the
 * two are counted together.
 *
 * @example
 * ```ts
 * damagedFiles(".cache/models/tiny", { "onnx/model.onnx": 35686120 }); // [] when intact
 * ```
 */
export function damagedFiles(dir: string, files: Record<string, number> | undefined): string[] {
  const bytes = (path: string) => existsSync(path) ? statSync(path).size : 0;
  return Object.entries(files ?? {}).filter(([name, size]) => {
    const path = join(dir, name);
    return !existsSync(path) || bytes(path) + bytes(`${path}_data`) !== size;
  }).map(([name]) => name);
}

/** Default folder of a preset's model. */
export function defaultModelDir(preset: string): string {
  return join(CACHE_DIR, "models", preset);
}

/**
 * SHA-256 of what determines a preset's files: the forge's sources, the corpus and the preset.
 */
export async function forgeContentHash(preset: string): Promise<string> {
  const h = createHash("sha256");
  const dir = import.meta.dirname!;
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".ts")) names.push(e.name);
  }
  for (const n of names.sort()) h.update(n).update(await Deno.readFile(join(dir, n)));
  h.update(await Deno.readFile(CORPUS_PATH));
  const p = getPreset(preset);
  h.update(JSON.stringify(p));
  if (p.weights === "trained") {
    // The committed weights (checked against their recorded hash) and tokenizer: a changed
    // or damaged file never reuses a model built from the old one.
    const dir = join(ROOT, p.trainedDir!);
    h.update(await readVerifiedWeights(dir));
    h.update(JSON.stringify(await trainedTokenizerFiles(dir)));
  }
  return h.digest("hex");
}

/**
 * Returns the folder of `preset`'s model, building it first (with a Spanish message) when it is
 * missing or was made by other code. Load it with transformers.js by pointing
 * `env.localModelPath` at the folder's parent and using the folder name as model id.
 *
 * @example
 * ```ts
 * const dir = await ensureModel("tiny"); // …/.cache/models/tiny
 * ```
 */
export async function ensureModel(preset: string, opts: EnsureOptions = {}): Promise<string> {
  const p = getPreset(preset);
  const out = opts.out ?? defaultModelDir(preset);
  const dtypes = opts.dtypes ?? p.defaultDtypes;
  const safetensors = opts.safetensors ?? p.defaultSafetensors;
  const hash = await forgeContentHash(preset);
  const log = opts.log ?? console.log;
  const cleaned = await removeStalePartials(dirname(out));
  if (cleaned.length) {
    log(`Borradas ${cleaned.length} fabricaciones interrumpidas: ${cleaned.join(", ")}.`);
  }
  let why = opts.rebuild ?? "";
  try {
    const stamp = JSON.parse(await Deno.readTextFile(join(out, STAMP_FILE)));
    const has = (d: ForgeDtype) => (stamp.dtypes as ForgeDtype[]).includes(d);
    // A folder built with other graph options (deno task forge --graph/--q4-accuracy) is rebuilt.
    const defaults = stamp.graph === DEFAULT_GRAPH && stamp.q4AccuracyLevel == null;
    if (
      stamp.hash === hash && defaults && dtypes.every(has) && (!safetensors || stamp.safetensors)
    ) {
      const damaged = damagedFiles(out, stamp.files);
      if (damaged.length) {
        why ||= `${damaged.join(", ")} no tiene${damaged.length > 1 ? "n" : ""} el tamaño ` +
          "con que se fabricó (archivo dañado o incompleto)";
      }
      if (!why) return out;
    }
  } catch { /* missing or unreadable: build */ }
  log(
    why
      ? `El modelo «${preset}» en ${out} está dañado: ${why}. Se vuelve a fabricar…`
      : `Fabricando el modelo local «${preset}» en ${out} (solo la primera vez)…`,
  );
  const report = await buildModel(preset, out, { dtypes, safetensors, log, stamp: { hash } });
  log(`Modelo «${preset}» listo en ${report.totalSeconds.toFixed(1)} s.`);
  return out;
}
