/**
 * The same prompt through the same model in several dtypes, each in a fresh process, so
 * that peak memory (load + generate) is measured per dtype and not mixed with the others.
 *
 * @module
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Dtype } from "./memory.ts";
import type { GenerateResult } from "../backends/types.ts";
import type { Device } from "../backends/optimized.ts";
import { DTYPE_FILES } from "../backends/_transformers.ts";
import { MODELS_DIR } from "../backends/catalogue.ts";

/** One dtype's measurements. */
export interface DtypeRun {
  dtype: Dtype;
  device: string;
  /** Size of the ONNX file (local models only). */
  fileBytes: number | null;
  loadMs: number;
  /** RSS of the worker before loading (Deno + libraries). */
  baselineRssBytes: number;
  /** Peak RSS of load + generate. */
  peakRssBytes: number;
  result: GenerateResult;
}

/** Options for {@link compareDtypes}. */
export interface CompareOptions {
  model: string;
  dtypes: Dtype[];
  prompt: string;
  maxTokens: number;
  device?: Device;
  /** Per-dtype time limit, ms (default 5 minutes). */
  timeoutMs?: number;
}

function onnxBytes(model: string, dtype: Dtype): number | null {
  try {
    const file = join(MODELS_DIR, model, "onnx", DTYPE_FILES[dtype]);
    let bytes = statSync(file).size;
    try {
      bytes += statSync(file + "_data").size; // external data, when the model uses it
    } catch { /* single file */ }
    return bytes;
  } catch {
    return null;
  }
}

/**
 * Runs the prompt once per dtype, each in its own Deno process, and returns the figures.
 * A dtype that fails is reported with its error message instead of stopping the others.
 */
export async function compareDtypes(
  opts: CompareOptions,
): Promise<(DtypeRun | { dtype: Dtype; error: string })[]> {
  const worker = new URL("./_generate_worker.ts", import.meta.url).pathname;
  const runs: (DtypeRun | { dtype: Dtype; error: string })[] = [];
  for (const dtype of opts.dtypes) {
    const args = {
      model: opts.model,
      dtype,
      device: opts.device,
      prompt: opts.prompt,
      maxTokens: opts.maxTokens,
    };
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", worker, JSON.stringify(args)],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(opts.timeoutMs ?? 300_000),
    }).output();
    const out = new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "";
    if (!success || !out.startsWith("{")) {
      const err = new TextDecoder().decode(stderr).trim().split("\n").filter(Boolean).at(-1);
      runs.push({ dtype, error: err ?? "el proceso terminó sin resultado" });
      continue;
    }
    runs.push({ ...JSON.parse(out), dtype, fileBytes: onnxBytes(opts.model, dtype) });
  }
  return runs;
}
