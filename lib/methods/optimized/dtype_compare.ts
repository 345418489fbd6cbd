/**
 * The same prompt through the same model in several dtypes, each in a fresh process, so
 * that peak memory (load + generate) is measured per dtype and not mixed with the others.
 *
 * @module
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Dtype } from "../../measure/memory.ts";
import type { GenerateResult } from "../../core/types.ts";
import { runFresh } from "../../core/process.ts";
import type { Device } from "./device.ts";
import { DTYPE_FILES, HF_CACHE_DIR } from "../hf/transformers.ts";
import { MODELS_DIR } from "../hf/catalogue.ts";

/** One dtype's measurements. */
export interface DtypeRun {
  dtype: Dtype;
  device: string;
  /** Size of the ONNX file (local models only). */
  fileBytes: number | null;
  loadMs: number;
  /** RSS of the worker before loading (Deno + libraries). */
  baselineRssBytes: number;
  /** RSS right after loading, before generating. */
  loadedRssBytes: number;
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

/**
 * Bytes of a model's ONNX file for `dtype` (plus its external data file, when it has one): a
 * forge model's folder, else the hub cache where transformers.js put a hub model's file
 * (.cache/hf/<org>/<name>/onnx/…). Null when neither has it.
 */
export function onnxBytes(model: string, dtype: Dtype): number | null {
  for (const root of [MODELS_DIR, HF_CACHE_DIR]) {
    try {
      const file = join(root, model, "onnx", DTYPE_FILES[dtype]);
      let bytes = statSync(file).size;
      try {
        bytes += statSync(file + "_data").size; // external data, when the model uses it
      } catch { /* single file */ }
      return bytes;
    } catch { /* not in this folder */ }
  }
  return null;
}

/** A run that failed: its dtype and the last line the worker printed. */
export interface FailedRun {
  dtype: Dtype;
  error: string;
}

/**
 * Loads `model` in `dtype` in a fresh Deno process, generates `maxTokens` tokens greedily
 * from `prompt`, and returns the figures (or the worker's error).
 */
export async function measureInFreshProcess(
  opts: Omit<CompareOptions, "dtypes"> & { dtype: Dtype },
): Promise<DtypeRun | FailedRun> {
  const worker = new URL("./_generate_worker.ts", import.meta.url).pathname;
  const { timeoutMs, ...args } = opts;
  try {
    const run = await runFresh<Omit<DtypeRun, "dtype" | "fileBytes">>(
      worker,
      [JSON.stringify(args)],
      { denoFlags: ["--v8-flags=--expose-gc"], timeoutMs: timeoutMs ?? 300_000 },
    );
    return { ...run, dtype: opts.dtype, fileBytes: onnxBytes(opts.model, opts.dtype) };
  } catch (e) {
    return { dtype: opts.dtype, error: (e as Error).message.split(" / ").at(-1)! };
  }
}

/**
 * Runs the prompt once per dtype, each in its own Deno process, and returns the figures.
 * A dtype that fails is reported with its error message instead of stopping the others.
 */
export async function compareDtypes(opts: CompareOptions): Promise<(DtypeRun | FailedRun)[]> {
  const runs: (DtypeRun | FailedRun)[] = [];
  for (const dtype of opts.dtypes) runs.push(await measureInFreshProcess({ ...opts, dtype }));
  return runs;
}

/** One point of the KV-cache growth curve. */
export interface ContextPoint {
  tokens: number;
  /** Peak RSS while generating minus RSS after loading. */
  growthBytes: number;
  /** What the formula says the cache holds at that length. */
  formulaBytes: number;
}

/**
 * Measures memory growth against context length: for each length, a fresh process generates
 * that many tokens one by one (so the KV cache grows token by token) and reports its peak
 * RSS over the RSS it had right after loading. `kvBytesPerToken` gives the formula line.
 */
export async function measureContextGrowth(
  opts: { model: string; dtype: Dtype; lengths: number[]; kvBytesPerToken: number },
): Promise<(ContextPoint | FailedRun)[]> {
  const points: (ContextPoint | FailedRun)[] = [];
  for (const length of opts.lengths) {
    const run = await measureInFreshProcess({
      model: opts.model,
      dtype: opts.dtype,
      prompt: "La memoria",
      maxTokens: length,
    });
    if ("error" in run) {
      points.push(run);
      continue;
    }
    const tokens = run.result.tokensIn + run.result.tokensOut;
    points.push({
      tokens,
      growthBytes: (run.result.memory?.peakRssBytes ?? 0) - run.loadedRssBytes,
      formulaBytes: opts.kvBytesPerToken * tokens,
    });
  }
  return points;
}

/**
 * Keeps the runs that succeeded (typed), dropping failures (which carry `error`).
 *
 * @example
 * ```ts
 * const ok = succeeded(await compareDtypes({ ... }));
 * ```
 */
export function succeeded<T extends object>(runs: (T | FailedRun)[]): T[] {
  return runs.filter((r): r is T => !("error" in r));
}
