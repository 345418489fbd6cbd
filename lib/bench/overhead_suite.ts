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
  /**
   * The raw loop with a static KV cache (one buffer per layer written in place, raw_decode.ts's
   * `staticKv`): its tok/s, and its ratio to the growing cache's raw loop (median of rounds).
   */
  rawStatic: number[];
  staticRatio: number;
  /** Whether every generation of all three produced the same token ids (else the suite throws). */
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
 *
 * A third runner is the raw loop with a static KV cache (one buffer per layer, written in place
 * by GroupQueryAttention; the first step of WebGPU graph capture, which needs fixed shapes).
 * On this suite's short prompt it gains nothing (this machine, 2026-12-02, `--quick`: static ÷
 * growing 0.95, rounds 0.87–1.10); with a 512-token prompt and 32 new tokens, three
 * interleaved rounds of the same raw loops on the same q4 file: 23.5 against 21.4 tok/s, 1.10
 * (rounds 1.096–1.104), because the growing cache is copied into a new present tensor at every
 * step and the static one is not.
 */
export async function overheadSuite(o: SuiteOptions): Promise<OverheadRow[]> {
  const dtypes: ForgeDtype[] = o.quick ? ["q4"] : ["q4", "q8"];
  const dir = await forgeModelDir(TINY, dtypes);
  const rows: OverheadRow[] = [];
  for (const dtype of dtypes) {
    const orders: Record<"kitFirst" | "rawFirst", number[]> = { kitFirst: [], rawFirst: [] };
    const staticRatios: number[] = [];
    const runs: WorkerRun[] = [];
    for (const order of ["kitFirst", "rawFirst"] as const) {
      o.log(`overhead: ${TINY} ${dtype}, kit vs raw onnxruntime-node (${order})…`);
      const kit = { label: "kit", impl: "kit" } as const;
      const raw = { label: "raw", impl: "raw" } as const;
      const fixed = { label: "raw static KV", impl: "raw", staticKv: true } as const;
      const r = await runWorkload({
        modelDir: dir,
        dtype,
        repeats: Math.max(o.repeats, 3),
        runners: order === "kitFirst" ? [kit, raw, fixed] : [raw, fixed, kit],
      });
      const tps = (x: WorkerRun) => x.tokensPerSecond ?? NaN;
      orders[order] = sameRoundRatios(r.runs, "kit", "raw", tps);
      staticRatios.push(...sameRoundRatios(r.runs, "raw static KV", "raw", tps));
      runs.push(...r.runs);
    }
    const reference = JSON.stringify(runs[0].ids);
    if (!runs.every((x) => JSON.stringify(x.ids) === reference)) {
      throw new Error(
        `overhead ${dtype}: the kit and the raw loops produced different tokens: ` +
          runs.map((x) => `${x.label} ${x.ids.slice(0, 8)}`).join("; "),
      );
    }
    const roundRatios = [...orders.kitFirst, ...orders.rawFirst];
    const ratio = median(roundRatios);
    rows.push({
      dtype,
      kit: tokensPerSecond(runs, "kit"),
      raw: tokensPerSecond(runs, "raw"),
      rawStatic: tokensPerSecond(runs, "raw static KV"),
      staticRatio: median(staticRatios),
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
