/**
 * Running one benchmark worker in a fresh Deno process, and finding the forge's models
 * without rebuilding them.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultModelDir, ensureModel, type ForgeDtype } from "../forge/mod.ts";
import type { WorkerArgs, WorkerReport } from "./worker_protocol.ts";
import { runFresh } from "../core/process.ts";

/**
 * The folder of a forge preset that has the given ONNX variants. A folder the forge finished
 * (forge.json lists the dtypes) is used as it is, even when the forge's code changed since
 * (its content hash would ask for a rebuild of many GB: the benchmarks measure the files
 * that exist); only a missing one is built.
 */
export async function forgeModelDir(preset: string, dtypes: ForgeDtype[]): Promise<string> {
  const dir = defaultModelDir(preset);
  const stamp = join(dir, "forge.json");
  if (existsSync(stamp)) {
    const have = JSON.parse(readFileSync(stamp, "utf8")).dtypes as string[];
    if (dtypes.every((d) => have.includes(d))) return dir;
  }
  return await ensureModel(preset, { dtypes });
}

/** Thrown when a worker process fails; carries the last lines it wrote to stderr. */
export class WorkerError extends Error {
  override name = "WorkerError";
}

/**
 * Runs lib/bench/_decode_worker.ts in a fresh process (with --expose-gc, so the worker can
 * collect garbage before reading RSS) and returns its report.
 *
 * @example
 * ```ts
 * const r = await runWorker({ modelDir, dtype: "q4", prompt: "Hola", maxTokens: 8,
 *   runners: [{ label: "kit", impl: "kit" }] });
 * ```
 */
export async function runWorker(args: WorkerArgs, timeoutMs = 20 * 60_000): Promise<WorkerReport> {
  const worker = new URL("./_decode_worker.ts", import.meta.url).pathname;
  try {
    return await runFresh<WorkerReport>(worker, [JSON.stringify(args)], {
      denoFlags: ["--v8-flags=--expose-gc"],
      timeoutMs,
    });
  } catch (e) {
    throw new WorkerError(`benchmark worker failed: ${(e as Error).message}`);
  }
}
