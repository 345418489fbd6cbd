/**
 * Measures what a forged model really costs in memory: for each dtype, a fresh Deno process
 * loads it with transformers.js and generates a few tokens; we read its peak RSS (VmHWM).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { ROOT } from "../core/paths.ts";
import { runFresh } from "../core/process.ts";
import { ForgeError } from "./errors.ts";
import type { ForgeDtype } from "./presets.ts";

/** Memory figures of one dtype (bytes, milliseconds). */
export interface RssReport {
  dtype: ForgeDtype;
  /** Whether onnxruntime's CPU memory arena was on (transformers.js' default). */
  arena: boolean;
  /** RSS of the process after importing transformers.js, before loading the model. */
  baselineRss: number;
  afterLoadRss: number;
  /** Peak RSS over load + generate. */
  peakRss: number;
  /** peakRss - baselineRss: what the model added. */
  modelRss: number;
  loadMs: number;
  generateMs: number;
  newTokens: number;
  /** RSS split at the end of the run: anonymous memory and file-backed pages. */
  endRssAnon: number;
  endRssFile: number;
}

/**
 * Runs the probe for each dtype in its own process (so peaks do not mix). With
 * `arena: false` the session is created with `enableCpuMemArena: false`, to check that
 * onnxruntime's CPU arena does not keep memory freed during load (e.g. weights repacked by
 * MatMulNBits) resident; transformers.js' default keeps the arena on.
 *
 * @example
 * ```ts
 * const rows = await measureRss(await ensureModel("tiny"), ["fp32", "q8", "q4"]);
 * ```
 */
export async function measureRss(
  modelDir: string,
  dtypes: ForgeDtype[],
  newTokens = 8,
  arena = true,
): Promise<RssReport[]> {
  const probe = fileURLToPath(new URL("./_rss_probe.ts", import.meta.url));
  const rows: RssReport[] = [];
  for (const dtype of dtypes) {
    let r: Omit<RssReport, "modelRss">;
    try {
      r = await runFresh(probe, [modelDir, dtype, String(newTokens), arena ? "arena" : "noarena"], {
        cwd: ROOT,
      });
    } catch (e) {
      throw new ForgeError(`medida de memoria (${dtype}) fallida: ${(e as Error).message}`);
    }
    rows.push({ ...r, modelRss: r.peakRss - r.baselineRss });
  }
  return rows;
}
