/**
 * CPU suite 3: the llama-2-7b shape in q4 and q8 (load time, peak RSS, tok/s, roofline).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { type ForgeDtype, getPreset } from "../forge/mod.ts";
import type { BandwidthResult } from "./bandwidth.ts";
import { bytesPerDecodeToken, rooflineTokensPerSecond, weightBytes } from "./model_bytes.ts";
import { forgeModelDir } from "./run.ts";
import {
  bestBandwidth,
  NEW_TOKENS,
  peakRss,
  runWorkload,
  SEVEN_B,
  type SuiteOptions,
} from "./suite_common.ts";

/** One dtype of the 7B suite. */
export interface SevenBRow {
  dtype: ForgeDtype;
  loadMs: number;
  peakRssBytes: number;
  weightBytes: number;
  rssOverWeights: number;
  tokensPerSecond: number;
  ttftMs: number | null;
  bandwidth: BandwidthResult;
  rooflineTokensPerSecond: number;
  fractionOfRoofline: number;
  /** Physical memory of the machine, for "fits on 24 GB". */
  totalMemoryBytes: number;
}

function totalMemoryBytes(): number {
  try {
    const m = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Suite 3: the llama-2-7b shape in q4 and q8, each in a fresh process: load time, peak RSS,
 * tok/s for 32 new tokens, and the bandwidth roofline from the same process.
 */
export async function sevenBSuite(o: SuiteOptions): Promise<SevenBRow[]> {
  const dtypes: ForgeDtype[] = ["q4", "q8"];
  const dir = await forgeModelDir(SEVEN_B, dtypes);
  const shape = getPreset(SEVEN_B).shape;
  const rows: SevenBRow[] = [];
  for (const dtype of dtypes) {
    o.log(`7b: ${SEVEN_B} ${dtype} (minutes)…`);
    const r = await runWorkload({
      modelDir: dir,
      dtype,
      maxTokens: o.quick ? 8 : NEW_TOKENS,
      repeats: 1,
      runners: [{ label: "kit", impl: "kit" }],
      bandwidth: true,
    }, 40 * 60_000);
    const run = r.runs[0];
    const bandwidth = bestBandwidth(r.bandwidth);
    const roofline = rooflineTokensPerSecond(
      bandwidth.bytesPerSecond,
      bytesPerDecodeToken(shape, dtype, run.promptTokens, run.ids.length),
    );
    const weights = weightBytes(shape, dtype).total;
    rows.push({
      dtype,
      loadMs: r.loadMs.kit,
      peakRssBytes: peakRss(r),
      weightBytes: weights,
      rssOverWeights: peakRss(r) / weights,
      tokensPerSecond: run.tokensPerSecond ?? NaN,
      ttftMs: run.ttftMs,
      bandwidth,
      rooflineTokensPerSecond: roofline,
      fractionOfRoofline: (run.tokensPerSecond ?? NaN) / roofline,
      totalMemoryBytes: totalMemoryBytes(),
    });
  }
  return rows;
}
