/**
 * The graphs suite of `deno task bench`: the forge's fused graph (lib/forge/fused_graph.ts)
 * against the classic one (lib/forge/llama_graph.ts) on the same tinyllama-1.1b weights, per
 * dtype, and for q4 the fused graph at MatMulNBits accuracy level 0 as well. The runners are
 * loaded in one worker process and take turns round after round, so every ratio is the median
 * of same-round ratios (this machine is shared and noisy).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR } from "../core/paths.ts";
import { buildModel, type ForgeDtype, type GraphKind } from "../forge/mod.ts";
import { markdownTable } from "../show/table.ts";
import { median } from "./stats.ts";
import type { Runner, WorkerRun } from "./worker_protocol.ts";
import { runWorkload, sameRoundRatios, type SuiteOptions, TINY } from "./suite_common.ts";

/** The graph variants compared. */
export type Variant = "classic" | "fused" | "fused-acc0";

/** One dtype of the graphs suite. */
export interface GraphsRow {
  dtype: ForgeDtype;
  /** Decode tok/s and time to first token (ms) of each variant, every round. */
  decode: Partial<Record<Variant, number[]>>;
  ttftMs: Partial<Record<Variant, number[]>>;
  /** Medians of same-round ratios: fused ÷ classic (decode, prefill = ttft classic ÷ fused). */
  fusedOverClassic: { decode: number; prefill: number };
  /** q4 only: fused at level 4 ÷ fused at level 0. */
  level4OverLevel0?: { decode: number; prefill: number };
  /** Whether the classic and fused graphs generated the same tokens (every round). */
  sameTokens: boolean;
}

/**
 * The folder of a variant (`.cache/models/<preset>__<variant>`; an "@" in a folder name stops transformers.js from finding its files), built with the dtypes asked
 * for unless a finished folder of that graph already has them.
 */
export async function variantDir(
  preset: string,
  variant: Variant,
  dtypes: ForgeDtype[],
  log: (line: string) => void = () => {},
): Promise<string> {
  const dir = join(CACHE_DIR, "models", `${preset}__${variant}`);
  const graph: GraphKind = variant === "classic" ? "classic" : "fused";
  const level = variant === "fused-acc0" ? 0 : undefined;
  if (existsSync(join(dir, "forge.json"))) {
    const stamp = JSON.parse(readFileSync(join(dir, "forge.json"), "utf8"));
    if (
      stamp.graph === graph && (stamp.q4AccuracyLevel ?? undefined) === level &&
      dtypes.every((d) => stamp.dtypes.includes(d))
    ) return dir;
  }
  log(`graphs: building ${preset}__${variant} (${dtypes.join(", ")})…`);
  await buildModel(preset, dir, { dtypes, graph, q4AccuracyLevel: level, safetensors: false });
  return dir;
}

const roundRatios = (runs: WorkerRun[], a: string, b: string, pick: (r: WorkerRun) => number) =>
  median(sameRoundRatios(runs, a, b, pick));

/** Suite: per dtype, classic and fused (and for q4 fused level 0) in one worker, alternating. */
export async function graphsSuite(o: SuiteOptions): Promise<GraphsRow[]> {
  const dtypes: ForgeDtype[] = o.quick ? ["q4"] : ["fp32", "fp16", "q8", "q4"];
  const rows: GraphsRow[] = [];
  for (const dtype of dtypes) {
    const variants: Variant[] = dtype === "q4"
      ? ["classic", "fused", "fused-acc0"]
      : ["classic", "fused"];
    const runners: Runner[] = [];
    for (const v of variants) {
      runners.push({ label: v, impl: "kit", modelDir: await variantDir(TINY, v, [dtype], o.log) });
    }
    o.log(`graphs: ${TINY} ${dtype}, ${variants.join(" vs ")}…`);
    const r = await runWorkload({
      modelDir: runners[0].modelDir!,
      dtype,
      repeats: Math.max(o.repeats, 3),
      runners,
    });
    const of = (v: Variant, pick: (x: WorkerRun) => number | null) =>
      r.runs.filter((x) => x.label === v).map(pick).filter((x): x is number => x !== null);
    const tps = (x: WorkerRun) => x.tokensPerSecond ?? NaN;
    const prefill = (x: WorkerRun) => 1 / (x.ttftMs ?? NaN);
    const ids = (v: Variant) => r.runs.filter((x) => x.label === v).map((x) => x.ids.join());
    rows.push({
      dtype,
      decode: Object.fromEntries(variants.map((v) => [v, of(v, (x) => x.tokensPerSecond)])),
      ttftMs: Object.fromEntries(variants.map((v) => [v, of(v, (x) => x.ttftMs)])),
      fusedOverClassic: {
        decode: roundRatios(r.runs, "fused", "classic", tps),
        prefill: roundRatios(r.runs, "fused", "classic", prefill),
      },
      ...(dtype === "q4"
        ? {
          level4OverLevel0: {
            decode: roundRatios(r.runs, "fused", "fused-acc0", tps),
            prefill: roundRatios(r.runs, "fused", "fused-acc0", prefill),
          },
        }
        : {}),
      sameTokens: ids("fused").every((x, i) => x === ids("classic")[i]),
    });
  }
  return rows;
}

/** The suite's table (median tok/s, same-round ratios). */
export function graphsTable(rows: GraphsRow[]): { title: string; markdown: string } {
  const med = (xs?: number[]) => (xs?.length ? median(xs).toFixed(1) : "—");
  return {
    title: "Graphs: fused vs classic, tinyllama-1.1b (same process, alternating rounds)",
    markdown: markdownTable(rows.map((x) => ({
      dtype: x.dtype,
      "classic tok/s": med(x.decode.classic),
      "fused tok/s": med(x.decode.fused),
      "fused level 0 tok/s": med(x.decode["fused-acc0"]),
      "fused ÷ classic decode": `${x.fusedOverClassic.decode.toFixed(2)}×`,
      "fused ÷ classic prefill": `${x.fusedOverClassic.prefill.toFixed(2)}×`,
      "level 4 ÷ 0 decode / prefill": x.level4OverLevel0
        ? `${x.level4OverLevel0.decode.toFixed(2)}× / ${x.level4OverLevel0.prefill.toFixed(2)}×`
        : "—",
      "same tokens": x.sameTokens ? "yes" : "no",
    }))),
  };
}
