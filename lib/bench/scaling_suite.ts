/**
 * CPU suite 4: tok/s against thread count, and tok/s and RSS against context length.
 *
 * @module
 */
import { type ForgeDtype, getPreset } from "../forge/mod.ts";
import { kvReadBytes, rooflineTokensPerSecond, weightBytes } from "./model_bytes.ts";
import { forgeModelDir } from "./run.ts";
import { median } from "./stats.ts";
import type { Runner } from "./worker_protocol.ts";
import {
  bestBandwidth,
  peakRss,
  runWorkload,
  type SuiteOptions,
  TINY,
  tokensPerSecond,
} from "./suite_common.ts";

/** Thread scaling of one dtype. */
export interface ThreadsRow {
  dtype: ForgeDtype;
  threads: number;
  /** Interleaved rounds in one process (both thread counts loaded). */
  tokensPerSecond: number[];
  median: number;
  /** median ÷ the 1-thread median of the same process. */
  speedup: number;
  /** Peak RSS of a fresh process with this thread count alone. */
  peakRssBytes: number;
}

/** One window of the context-length curve. */
export interface ContextPoint {
  /** Context length (prompt + generated) at the middle of the window. */
  context: number;
  tokensPerSecond: number;
  /** Bandwidth roofline at that context (weights + KV read), same-process bandwidth. */
  rooflineTokensPerSecond: number;
}

/** One RSS sample of the context-length curve. */
export interface ContextRss {
  context: number;
  /** RSS minus the RSS after loading. */
  growthBytes: number;
  /** The KV cache's formula size at that context. */
  kvBytes: number;
}

/** Results of the scaling suite. */
export interface ScalingResult {
  threads: ThreadsRow[];
  context: { dtype: ForgeDtype; points: ContextPoint[]; rss: ContextRss[]; loadedRssBytes: number };
}

/**
 * Decode tok/s over consecutive windows of `window` tokens of one traced generation.
 *
 * @example
 * ```ts
 * windowRates([0, 100, 200, 300, 500], 2, 5); // [{context: 6.5, tokensPerSecond: 10}, …]
 * ```
 */
export function windowRates(
  tokenAt: number[],
  window: number,
  promptTokens: number,
): { context: number; tokensPerSecond: number }[] {
  const out: { context: number; tokensPerSecond: number }[] = [];
  for (let start = 0; start + window < tokenAt.length; start += window) {
    const ms = tokenAt[start + window] - tokenAt[start];
    out.push({ context: promptTokens + start + window / 2, tokensPerSecond: (window * 1000) / ms });
  }
  return out;
}

/**
 * Suite 4: tok/s against thread count (1, 2; interleaved in one process, peak RSS from fresh
 * ones) and tok/s and RSS against context length (one long generation, timed per window).
 */
export async function scalingSuite(o: SuiteOptions): Promise<ScalingResult> {
  const dtypes: ForgeDtype[] = o.quick ? ["q4"] : ["q4", "q8"];
  const dir = await forgeModelDir(TINY, dtypes);
  const shape = getPreset(TINY).shape;
  const counts = [...new Set([1, navigator.hardwareConcurrency])];
  const threads: ThreadsRow[] = [];
  for (const dtype of dtypes) {
    o.log(`scaling: ${TINY} ${dtype}, threads ${counts.join(" vs ")}…`);
    const runners: Runner[] = counts.map((t) => ({ label: `${t}`, impl: "kit", threads: t }));
    const r = await runWorkload({
      modelDir: dir,
      dtype,
      repeats: o.repeats,
      runners,
    });
    const one = median(tokensPerSecond(r.runs, "1"));
    for (const t of counts) {
      const alone = await runWorkload({
        modelDir: dir,
        dtype,
        repeats: 1,
        runners: [{ label: `${t}`, impl: "kit", threads: t }],
      });
      const tps = tokensPerSecond(r.runs, `${t}`);
      threads.push({
        dtype,
        threads: t,
        tokensPerSecond: tps,
        median: median(tps),
        speedup: median(tps) / one,
        peakRssBytes: peakRss(alone),
      });
    }
  }

  const dtype: ForgeDtype = "q4";
  const maxTokens = o.quick ? 128 : 1024;
  const window = 32;
  o.log(`scaling: ${TINY} ${dtype}, context up to ${maxTokens} generated tokens…`);
  const r = await runWorkload({
    modelDir: dir,
    dtype,
    maxTokens,
    repeats: 1,
    runners: [{ label: "kit", impl: "kit" }],
    trace: true,
    rssEvery: window,
    bandwidth: true,
  });
  const run = r.runs[0];
  const bw = bestBandwidth(r.bandwidth).bytesPerSecond;
  const perToken = weightBytes(shape, dtype).perToken;
  const points = windowRates(run.tokenAt ?? [], window, run.promptTokens).map((p) => ({
    ...p,
    rooflineTokensPerSecond: rooflineTokensPerSecond(
      bw,
      perToken + kvReadBytes(shape, dtype, p.context),
    ),
  }));
  const rss = (run.rss ?? []).map(([n, bytes]) => ({
    context: run.promptTokens + n,
    growthBytes: bytes - r.loadedRss.rss,
    kvBytes: kvReadBytes(shape, dtype, run.promptTokens + n),
  }));
  return { threads, context: { dtype, points, rss, loadedRssBytes: r.loadedRss.rss } };
}
