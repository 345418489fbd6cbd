/**
 * The benchmark sub-suites. Each runs its measurements in fresh worker processes (peak RSS
 * per model, no leftovers of an earlier load) and returns plain data; every figure it states
 * is a ratio of two things measured in the same process, because this machine is shared and
 * noisy (other jobs take a core at times: best-of and medians of alternating rounds).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { type ForgeDtype, getPreset } from "../forge/mod.ts";
import {
  type BandwidthResult,
  measureJsBandwidth,
  measureJsWorkersBandwidth,
  measureOrtBandwidth,
} from "./bandwidth.ts";
import {
  bytesPerDecodeToken,
  kvReadBytes,
  rooflineTokensPerSecond,
  weightBytes,
} from "./model_bytes.ts";
import { forgeModelDir, runWorker } from "./run.ts";
import { loadOrt } from "./_ort.ts";
import { highest, median } from "./stats.ts";
import type { RssSplit, Runner, WorkerReport, WorkerRun } from "./worker_protocol.ts";

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

const TINY = "tinyllama-1.1b";
const SEVEN_B = "llama-2-7b";

function tokensPerSecond(runs: WorkerRun[], label?: string): number[] {
  return runs
    .filter((r) => label === undefined || r.label === label)
    .map((r) => r.tokensPerSecond)
    .filter((v): v is number => v !== null);
}

function bestBandwidth(results: BandwidthResult[]): BandwidthResult {
  return results.reduce((a, b) => (b.bytesPerSecond > a.bytesPerSecond ? b : a));
}

function peakRss(r: WorkerReport): number {
  return Math.max(r.loadPeakRssBytes, r.generatePeakRssBytes);
}

// ---------------------------------------------------------------------------------------
// Bandwidth

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

// ---------------------------------------------------------------------------------------
// 1. Roofline

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
    const r = await runWorker({
      modelDir: dir,
      dtype,
      prompt: PROMPT,
      maxTokens: NEW_TOKENS,
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

// ---------------------------------------------------------------------------------------
// 2. Kit overhead

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

// ---------------------------------------------------------------------------------------
// 3. llama-2-7b

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
    const r = await runWorker({
      modelDir: dir,
      dtype,
      prompt: PROMPT,
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

// ---------------------------------------------------------------------------------------
// 4. Scaling

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
    const r = await runWorker({
      modelDir: dir,
      dtype,
      prompt: PROMPT,
      maxTokens: NEW_TOKENS,
      repeats: o.repeats,
      runners,
    });
    const one = median(tokensPerSecond(r.runs, "1"));
    for (const t of counts) {
      const alone = await runWorker({
        modelDir: dir,
        dtype,
        prompt: PROMPT,
        maxTokens: NEW_TOKENS,
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
  const r = await runWorker({
    modelDir: dir,
    dtype,
    prompt: PROMPT,
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

// ---------------------------------------------------------------------------------------
// 5. Session options

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
    const r = await runWorker({
      modelDir: dir,
      dtype,
      prompt: PROMPT,
      maxTokens: NEW_TOKENS,
      repeats: Math.max(o.repeats, 3),
      runners: variants.map((v) => ({ impl: "raw", ...v })),
    });
    const base = median(tokensPerSecond(r.runs, variants[0].label));
    for (const [i, v] of variants.entries()) {
      const memory = i === 0 || v.label === "arena off"
        ? await runWorker({
          modelDir: dir,
          dtype,
          prompt: PROMPT,
          maxTokens: NEW_TOKENS,
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
