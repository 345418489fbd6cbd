/**
 * CPU suites 0 and 1: memory bandwidth by three readers, and the roofline (decode tok/s of
 * tinyllama-1.1b per dtype against the bandwidth measured in the same process).
 *
 * @module
 */
import { type ForgeDtype, getPreset } from "../forge/mod.ts";
import {
  type BandwidthResult,
  measureJsBandwidth,
  measureJsWorkersBandwidth,
  measureOrtBandwidth,
} from "./bandwidth.ts";
import { bytesPerDecodeToken, rooflineTokensPerSecond, weightBytes } from "./model_bytes.ts";
import { forgeModelDir } from "./run.ts";
import { loadOrt } from "./_ort.ts";
import { highest, median } from "./stats.ts";
import type { RssSplit } from "./worker_protocol.ts";
import {
  bestBandwidth,
  NEW_TOKENS,
  peakRss,
  runWorkload,
  type SuiteOptions,
  TINY,
  tokensPerSecond,
} from "./suite_common.ts";

/** Memory bandwidth by three readers, measured in the bench's own process. */
export async function bandwidthSuite(o: SuiteOptions): Promise<BandwidthResult[]> {
  o.log("bandwidth: JS loop, JS workers, onnxruntime ReduceSum (1 GiB, best of 5)…");
  const results = [
    measureJsBandwidth(),
    await measureJsWorkersBandwidth({ workers: navigator.hardwareConcurrency }),
  ];
  const ort = await loadOrt();
  for (const threads of [...new Set([navigator.hardwareConcurrency, 1])]) {
    results.push(await measureOrtBandwidth(ort, { threads }));
    results.push(await measureOrtBandwidth(ort, { threads, op: "gemv" }));
  }
  return results;
}

/** One dtype of the roofline suite. */
export interface RooflineRow {
  dtype: ForgeDtype;
  /** Decode tok/s of the kit's Optimized backend: every round, best, median. */
  tokensPerSecond: number[];
  best: number;
  median: number;
  /** Bytes one decode step reads (weights read per token + KV cache at the mean context). */
  bytesPerToken: number;
  /** The fastest streaming read measured in the same process right after generating. */
  bandwidth: BandwidthResult;
  /** bandwidth ÷ bytesPerToken. */
  rooflineTokensPerSecond: number;
  /** best ÷ roofline. */
  fractionOfRoofline: number;
  weightBytes: number;
  peakRssBytes: number;
  /** Peak RSS while loading, and while generating (reset after loading). */
  loadPeakRssBytes: number;
  generatePeakRssBytes: number;
  /** RSS after loading, split into anonymous and file-backed pages. */
  loadedRss: RssSplit;
  baselineRssBytes: number;
  /** peak RSS ÷ weight bytes, and the same without the runtime's own RSS before loading. */
  rssOverWeights: number;
  rssOverWeightsNet: number;
  loadMs: number;
}

/**
 * Suite 1: tinyllama-1.1b, each dtype in a fresh process: decode tok/s over `repeats`
 * generations of 32 tokens, then the memory bandwidth in the same process; peak RSS.
 */
export async function rooflineSuite(o: SuiteOptions): Promise<RooflineRow[]> {
  const dtypes: ForgeDtype[] = o.quick ? ["q8", "q4"] : ["fp32", "fp16", "q8", "q4"];
  const dir = await forgeModelDir(TINY, dtypes);
  const shape = getPreset(TINY).shape;
  const rows: RooflineRow[] = [];
  for (const dtype of dtypes) {
    o.log(`roofline: ${TINY} ${dtype}…`);
    const r = await runWorkload({
      modelDir: dir,
      dtype,
      repeats: o.repeats,
      runners: [{ label: "kit", impl: "kit" }],
      bandwidth: true,
    });
    const tps = tokensPerSecond(r.runs);
    const bytesPerToken = bytesPerDecodeToken(shape, dtype, r.runs[0].promptTokens, NEW_TOKENS);
    const bandwidth = bestBandwidth(r.bandwidth);
    const roofline = rooflineTokensPerSecond(bandwidth.bytesPerSecond, bytesPerToken);
    const weights = weightBytes(shape, dtype).total;
    const peak = peakRss(r);
    rows.push({
      dtype,
      tokensPerSecond: tps,
      best: highest(tps),
      median: median(tps),
      bytesPerToken,
      bandwidth,
      rooflineTokensPerSecond: roofline,
      fractionOfRoofline: highest(tps) / roofline,
      weightBytes: weights,
      peakRssBytes: peak,
      loadPeakRssBytes: r.loadPeakRssBytes,
      generatePeakRssBytes: r.generatePeakRssBytes,
      loadedRss: r.loadedRss,
      baselineRssBytes: r.baselineRssBytes,
      rssOverWeights: peak / weights,
      rssOverWeightsNet: (peak - r.baselineRssBytes) / weights,
      loadMs: r.loadMs.kit,
    });
  }
  return rows;
}
