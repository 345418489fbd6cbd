/**
 * CPU suite 2: the kit's overhead over a raw onnxruntime-node loop on the same ONNX file.
 *
 * @module
 */
import type { ForgeDtype } from "../forge/mod.ts";
import { forgeModelDir } from "./run.ts";
import type { WorkerRun } from "./worker_protocol.ts";
import { highest, median } from "./stats.ts";
import {
  runWorkload,
  sameRoundRatios,
  type SuiteOptions,
  TINY,
  tokensPerSecond,
} from "./suite_common.ts";

/** One dtype of the overhead suite. */
export interface OverheadRow {
  dtype: ForgeDtype;
  kit: number[];
  raw: number[];
  /** kit ÷ raw of each round (both ran in the same round, alternating first), both load orders. */
  roundRatios: number[];
  /** Median kit ÷ raw with the kit's session loaded first, and with the raw one first. */
  byLoadOrder: { kitFirst: number; rawFirst: number };
  /** Median of the round ratios: the kit's tok/s ÷ raw tok/s. */
  ratio: number;
  /** (1 − ratio) × 100. */
  overheadPercent: number;
  /** best kit ÷ best raw (the least disturbed run of each). */
  bestRatio: number;
  /** Other processes' CPU load during each run (cores), kit and raw runs together. */
  othersLoad: number[];
  /** Whether every generation of both produced the same token ids (else the suite throws). */
  sameTokens: boolean;
  tokens: number;
}

/**
 * Suite 2: the Optimized backend and a raw onnxruntime-node loop over the same ONNX file in
 * one process, taking turns for `repeats` rounds; the token ids must be identical. It runs
 * twice, once loading the kit first and once the raw session first: in one process the
 * session loaded first decodes slower (this machine, 2026-12-02: loaded first, the kit ran
 * 24.6 against transformers.js's 25.8 tok/s; loaded second, 26.0 against 24.3), so either
 * order alone shows that bias as "overhead". The ratio is the median over both orders' rounds.
 */
export async function overheadSuite(o: SuiteOptions): Promise<OverheadRow[]> {
  const dtypes: ForgeDtype[] = o.quick ? ["q4"] : ["q4", "q8"];
  const dir = await forgeModelDir(TINY, dtypes);
  const rows: OverheadRow[] = [];
  for (const dtype of dtypes) {
    const orders: Record<"kitFirst" | "rawFirst", number[]> = { kitFirst: [], rawFirst: [] };
    const runs: WorkerRun[] = [];
    for (const order of ["kitFirst", "rawFirst"] as const) {
      o.log(`overhead: ${TINY} ${dtype}, kit vs raw onnxruntime-node (${order})…`);
      const kit = { label: "kit", impl: "kit" } as const;
      const raw = { label: "raw", impl: "raw" } as const;
      const r = await runWorkload({
        modelDir: dir,
        dtype,
        repeats: Math.max(o.repeats, 3),
        runners: order === "kitFirst" ? [kit, raw] : [raw, kit],
      });
      orders[order] = sameRoundRatios(r.runs, "kit", "raw", (x) => x.tokensPerSecond ?? NaN);
      runs.push(...r.runs);
    }
    const reference = JSON.stringify(runs[0].ids);
    if (!runs.every((x) => JSON.stringify(x.ids) === reference)) {
      throw new Error(
        `overhead ${dtype}: the kit and the raw loop produced different tokens: ` +
          runs.map((x) => `${x.label} ${x.ids.slice(0, 8)}`).join("; "),
      );
    }
    const roundRatios = [...orders.kitFirst, ...orders.rawFirst];
    const ratio = median(roundRatios);
    rows.push({
      dtype,
      kit: tokensPerSecond(runs, "kit"),
      raw: tokensPerSecond(runs, "raw"),
      roundRatios,
      byLoadOrder: { kitFirst: median(orders.kitFirst), rawFirst: median(orders.rawFirst) },
      ratio,
      overheadPercent: (1 - ratio) * 100,
      bestRatio: highest(tokensPerSecond(runs, "kit")) / highest(tokensPerSecond(runs, "raw")),
      othersLoad: runs.map((x) => x.othersLoad ?? 0),
      sameTokens: true,
      tokens: runs[0].ids.length,
    });
  }
  return rows;
}
