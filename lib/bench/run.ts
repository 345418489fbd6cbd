/**
 * Running one benchmark worker in a fresh Deno process, and finding the forge's models.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultModelDir, ensureModel, type ForgeDtype } from "../forge/mod.ts";
import type { WorkerArgs, WorkerReport } from "./worker_protocol.ts";
import { runFresh } from "../core/process.ts";

/**
 * The folder of a forge preset with the given ONNX variants, built by the forge's current code:
 * a folder made by other code (an older graph or block size) is rebuilt — a benchmark measures
 * what the kit builds now — with the variants it already had, so the next suite does not
 * rebuild it again for those.
 */
export async function forgeModelDir(preset: string, dtypes: ForgeDtype[]): Promise<string> {
  let had: ForgeDtype[] = [];
  try {
    had = JSON.parse(readFileSync(join(defaultModelDir(preset), "forge.json"), "utf8")).dtypes;
  } catch { /* no folder yet */ }
  return await ensureModel(preset, { dtypes: [...new Set([...had, ...dtypes])] });
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
