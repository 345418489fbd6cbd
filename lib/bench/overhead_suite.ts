/**
 * CPU suite 2: the kit's overhead over a raw onnxruntime-node loop on the same ONNX file.
 *
 * @module
 */
import type { ForgeDtype } from "../forge/mod.ts";
import { forgeModelDir, runWorker } from "./run.ts";
import { highest, median } from "./stats.ts";
import { NEW_TOKENS, PROMPT, type SuiteOptions, TINY, tokensPerSecond } from "./suite_common.ts";

/** One dtype of the overhead suite. */
export interface OverheadRow {
  dtype: ForgeDtype;
  kit: number[];
  raw: number[];
  /** kit ÷ raw of each round (both ran in the same round, alternating first). */
  roundRatios: number[];
  /** Median of the round ratios: the kit's tok/s ÷ raw tok/s. */
  ratio: number;
  /** (1 − ratio) × 100. */
  overheadPercent: number;
  /** best kit ÷ best raw (the least disturbed run of each). */
  bestRatio: number;
  /** Other processes' CPU load during each run (cores), kit and raw runs together. */
  othersLoad: number[];
  /** Whether every generation of both produced the same token ids. */
  sameTokens: boolean;
  tokens: number;
}

/**
 * Suite 2: the Optimized backend and a raw onnxruntime-node loop over the same ONNX file in
 * one process, taking turns for `repeats` rounds; the token ids must be identical.
 */
export async function overheadSuite(o: SuiteOptions): Promise<OverheadRow[]> {
  const dtypes: ForgeDtype[] = o.quick ? ["q4"] : ["q4", "q8"];
  const dir = await forgeModelDir(TINY, dtypes);
  const rows: OverheadRow[] = [];
  for (const dtype of dtypes) {
    o.log(`overhead: ${TINY} ${dtype}, kit vs raw onnxruntime-node…`);
    const r = await runWorker({
      modelDir: dir,
      dtype,
      prompt: PROMPT,
      maxTokens: NEW_TOKENS,
      repeats: Math.max(o.repeats, 3),
      runners: [{ label: "kit", impl: "kit" }, { label: "raw", impl: "raw" }],
    });
    const reference = JSON.stringify(r.runs[0].ids);
    const sameTokens = r.runs.every((x) => JSON.stringify(x.ids) === reference);
    if (!sameTokens) {
      throw new Error(
        `overhead ${dtype}: the kit and the raw loop produced different tokens: ` +
          r.runs.map((x) => `${x.label} ${x.ids.slice(0, 8)}`).join("; "),
      );
    }
    const rounds = [...new Set(r.runs.map((x) => x.round))];
    const roundRatios = rounds.map((round) => {
      const of = (label: string) => r.runs.find((x) => x.round === round && x.label === label);
      return (of("kit")?.tokensPerSecond ?? NaN) / (of("raw")?.tokensPerSecond ?? NaN);
    }).filter(Number.isFinite);
    const ratio = median(roundRatios);
    rows.push({
      dtype,
      kit: tokensPerSecond(r.runs, "kit"),
      raw: tokensPerSecond(r.runs, "raw"),
      roundRatios,
      ratio,
      overheadPercent: (1 - ratio) * 100,
      bestRatio: highest(tokensPerSecond(r.runs, "kit")) / highest(tokensPerSecond(r.runs, "raw")),
      othersLoad: r.runs.map((x) => x.othersLoad ?? 0),
      sameTokens,
      tokens: r.runs[0].ids.length,
    });
  }
  return rows;
}
