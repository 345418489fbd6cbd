/**
 * CPU suite 5: raw onnxruntime-node sessions with different session options, taking turns.
 *
 * @module
 */
import type { ForgeDtype } from "../forge/mod.ts";
import { forgeModelDir } from "./run.ts";
import { highest, median } from "./stats.ts";
import { peakRss, runWorkload, type SuiteOptions, TINY, tokensPerSecond } from "./suite_common.ts";

/** A session-options variant of the tuning suite. */
export interface TuningVariant {
  label: string;
  sessionOptions: Record<string, unknown>;
}

/** The variants tried, against the kit's defaults (first). */
export function tuningVariants(cores = navigator.hardwareConcurrency): TuningVariant[] {
  const base = { intraOpNumThreads: cores, graphOptimizationLevel: "all" };
  return [
    { label: `defaults (threads=${cores}, opt=all)`, sessionOptions: base },
    { label: "threads=1", sessionOptions: { ...base, intraOpNumThreads: 1 } },
    { label: "opt=extended", sessionOptions: { ...base, graphOptimizationLevel: "extended" } },
    { label: "opt=basic", sessionOptions: { ...base, graphOptimizationLevel: "basic" } },
    { label: "opt=disabled", sessionOptions: { ...base, graphOptimizationLevel: "disabled" } },
    {
      label: "no spinning",
      sessionOptions: { ...base, extra: { session: { intra_op: { allow_spinning: "0" } } } },
    },
    { label: "arena off", sessionOptions: { ...base, enableCpuMemArena: false } },
  ];
}

/** One variant's figures. */
export interface TuningRow {
  dtype: ForgeDtype;
  label: string;
  tokensPerSecond: number[];
  median: number;
  best: number;
  /** median ÷ the defaults' median (same process, interleaved rounds). */
  ratio: number;
  /** Peak RSS of a fresh process with this variant alone (memory variants only). */
  peakRssBytes: number | null;
  loadedRssBytes: number | null;
}

/**
 * Suite 5: raw onnxruntime-node sessions with different session options, all loaded in one
 * process and taking turns (same noise), plus fresh processes for the memory of the
 * defaults and of the arena switched off.
 */
export async function tuningSuite(o: SuiteOptions): Promise<TuningRow[]> {
  const dtypes: ForgeDtype[] = o.quick ? ["q4"] : ["q4", "q8"];
  const dir = await forgeModelDir(TINY, dtypes);
  const variants = tuningVariants();
  const rows: TuningRow[] = [];
  for (const dtype of dtypes) {
    o.log(`tuning: ${TINY} ${dtype}, ${variants.length} session-option variants…`);
    const r = await runWorkload({
      modelDir: dir,
      dtype,
      repeats: Math.max(o.repeats, 3),
      runners: variants.map((v) => ({ impl: "raw", ...v })),
    });
    const base = median(tokensPerSecond(r.runs, variants[0].label));
    for (const [i, v] of variants.entries()) {
      const memory = i === 0 || v.label === "arena off"
        ? await runWorkload({
          modelDir: dir,
          dtype,
          repeats: 1,
          runners: [{ label: v.label, impl: "raw", sessionOptions: v.sessionOptions }],
        })
        : null;
      const tps = tokensPerSecond(r.runs, v.label);
      rows.push({
        dtype,
        label: v.label,
        tokensPerSecond: tps,
        median: median(tps),
        best: highest(tps),
        ratio: median(tps) / base,
        peakRssBytes: memory ? peakRss(memory) : null,
        loadedRssBytes: memory ? memory.loadedRss.rss : null,
      });
    }
  }
  return rows;
}
