/**
 * What the CPU benchmark suites share: their options, the prompt and the number of new tokens,
 * the presets they load, and the small helpers that read a worker's report. Each suite runs
 * its measurements in fresh worker processes (peak RSS per model, no leftovers of an earlier
 * load) and returns plain data; every figure it states is a ratio of two things measured in
 * the same process, because this machine is shared and noisy (other jobs take a core at
 * times: best-of and medians of alternating rounds).
 *
 * @module
 */
import type { BandwidthResult } from "./bandwidth.ts";
import { runWorker } from "./run.ts";
import type { WorkerArgs, WorkerReport, WorkerRun } from "./worker_protocol.ts";

/** What every suite gets from the command line. */
export interface SuiteOptions {
  quick: boolean;
  repeats: number;
  /** Progress lines. */
  log: (line: string) => void;
}

/** The prompt every generation starts from. */
export const PROMPT = "La memoria de un modelo de lenguaje";
/** New tokens per timed generation (the 32). */
export const NEW_TOKENS = 32;

/**
 * {@link runWorker} on the suites' workload: {@link PROMPT} and {@link NEW_TOKENS} unless
 * `args` sets its own.
 */
export function runWorkload(
  args:
    & Omit<WorkerArgs, "prompt" | "maxTokens">
    & Partial<Pick<WorkerArgs, "prompt" | "maxTokens">>,
  timeoutMs?: number,
): Promise<WorkerReport> {
  return runWorker({ prompt: PROMPT, maxTokens: NEW_TOKENS, ...args }, timeoutMs);
}

/** The small preset most suites load. */
export const TINY = "tinyllama-1.1b";
/** The 7B-shaped preset of suite 3. */
export const SEVEN_B = "llama-2-7b";

/** Decode tok/s of the runs (of one runner when `label` is given), runs without one left out. */
export function tokensPerSecond(runs: WorkerRun[], label?: string): number[] {
  return runs
    .filter((r) => label === undefined || r.label === label)
    .map((r) => r.tokensPerSecond)
    .filter((v): v is number => v !== null);
}

/** The fastest of the bandwidth readers. */
export function bestBandwidth(results: BandwidthResult[]): BandwidthResult {
  return results.reduce((a, b) => (b.bytesPerSecond > a.bytesPerSecond ? b : a));
}

/** Peak RSS of a worker, loading or generating. */
export function peakRss(r: WorkerReport): number {
  return Math.max(r.loadPeakRssBytes, r.generatePeakRssBytes);
}

/**
 * `pick(a) ÷ pick(b)` for every round in which both runners `a` and `b` ran (same process,
 * same round, so the same machine noise), rounds where either is missing or not finite left out.
 *
 * @example
 * ```ts
 * const run = (label: string, round: number, tps: number) => ({ label, round, tokensPerSecond: tps });
 * sameRoundRatios([run("kit", 1, 20), run("raw", 1, 25)] as WorkerRun[], "kit", "raw",
 *   (r) => r.tokensPerSecond ?? NaN); // [0.8]
 * ```
 */
export function sameRoundRatios(
  runs: WorkerRun[],
  a: string,
  b: string,
  pick: (r: WorkerRun) => number,
): number[] {
  return [...new Set(runs.map((r) => r.round))].map((round) => {
    const of = (label: string) => runs.find((r) => r.round === round && r.label === label);
    const x = of(a), y = of(b);
    return x && y ? pick(x) / pick(y) : NaN;
  }).filter(Number.isFinite);
}
