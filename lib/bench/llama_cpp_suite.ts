/**
 * The CPU benchmark's anchor: llama.cpp (the engine inside Ollama, via node-llama-cpp) on the
 * same weights as the kit, at every dtype — fp32/F32, fp16/F16, q8/Q8_0, q4/Q4_0. For each
 * pair, one fresh process loads both and they take turns generating (same prompt, same
 * machine noise), so kit ÷ llama.cpp is a ratio of two things measured side by side; then
 * each engine alone in a fresh process for its peak RSS.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import {
  defaultGgufPath,
  ensureGguf,
  type ForgeDtype,
  getPreset,
  ggmlBytes,
  ggufTensorType,
  type GgufVariant,
  type LlamaShape,
  llamaTensors,
  loadCorpus,
} from "../forge/mod.ts";
import { headDim } from "../forge/presets.ts";
import type { BandwidthResult } from "./bandwidth.ts";
import { bytesPerDecodeToken, weightBytes } from "./model_bytes.ts";
import { forgeModelDir, runWorker } from "./run.ts";
import { highest, median } from "./stats.ts";
import {
  bestBandwidth,
  peakRss,
  sameRoundRatios,
  type SuiteOptions,
  TINY,
} from "./suite_common.ts";
import type { Runner, WorkerReport, WorkerRun } from "./worker_protocol.ts";

/** The kit's dtype and the GGUF variant holding the same weights. */
export const ENGINE_PAIRS: [ForgeDtype, GgufVariant][] = [
  ["fp32", "f32"],
  ["fp16", "f16"],
  ["q8", "q8_0"],
  ["q4", "q4_0"],
];

/** One engine's figures at one dtype. */
export interface EngineFigures {
  label: string;
  decode: number[];
  prefill: number[];
  decodeMedian: number;
  prefillMedian: number;
  /** Bytes one decode step reads (weights minus the embedding table + one row + KV). */
  bytesPerToken: number;
  /** best decode × bytes per token ÷ the bandwidth measured in the same process. */
  fractionOfRoofline: number;
  /** Peak RSS of a fresh process that loads this engine alone and generates. */
  peakRssBytes: number;
  /** Size of its weights (ONNX initializers, or the GGUF's tensors). */
  weightBytes: number;
  loadMs: number;
}

/** One dtype: the kit, llama.cpp with as many threads, llama.cpp with 1 thread. */
export interface EngineRow {
  dtype: ForgeDtype;
  variant: GgufVariant;
  kit: EngineFigures;
  llama: EngineFigures;
  llama1: EngineFigures;
  /**
   * Median over rounds of kit ÷ llama.cpp (same round, same process), over two processes: one
   * loading the kit first, one loading it last (the session loaded first runs slower).
   */
  decodeRatio: number;
  /** decodeRatio of the process that loaded the kit first, and of the one that loaded it last. */
  decodeRatioByLoadOrder: { kitFirst: number; kitLast: number };
  prefillRatio: number;
  /** The same against llama.cpp on 1 thread (its spinning threads suffer most on a busy CPU). */
  decodeRatio1: number;
  prefillRatio1: number;
  /** Whether the two engines wrote the same text in every round. */
  sameText: boolean;
  bandwidth: BandwidthResult;
  promptTokens: number;
}

/** Bytes a GGUF's tensors take, and what one decode step reads of them and of the KV cache. */
export function ggufDecodeBytes(
  shape: LlamaShape,
  variant: GgufVariant,
  meanContext: number,
): { weights: number; perToken: number } {
  let weights = 0;
  let perToken = 0;
  for (const t of llamaTensors(shape)) {
    const dims = [...t.dims].reverse();
    const bytes = ggmlBytes(ggufTensorType(t.name, t.dims, variant), dims);
    weights += bytes;
    // The embedding table is gathered: one row per token.
    perToken += t.name === "model.embed_tokens.weight" ? bytes / t.dims[0] : bytes;
  }
  // llama.cpp's KV cache is F16 by default.
  const kv = 2 * shape.num_hidden_layers * shape.num_key_value_heads * headDim(shape) * 2;
  return { weights, perToken: perToken + kv * meanContext };
}

/**
 * The preset's GGUF in `variant`: a complete file the forge wrote (its stamp's size matches) is
 * used as it is even when the forge's code changed since (the GGUF writer's output depends on
 * the weights, not on the ONNX graph; a rebuild costs minutes per GB); only a missing one is
 * built.
 */
export async function benchGgufPath(
  preset: string,
  variant: GgufVariant,
  log: (line: string) => void,
): Promise<string> {
  const path = defaultGgufPath(preset, variant);
  try {
    const stamp = JSON.parse(readFileSync(`${path}.json`, "utf8"));
    if (existsSync(path) && statSync(path).size === stamp.bytes) return path;
  } catch { /* no stamp: build */ }
  return await ensureGguf(preset, variant, { log });
}

/** A prompt of about `tokens` tokens from the course corpus (prefill is measured on it). */
export async function longPrompt(words = 96): Promise<string> {
  return (await loadCorpus()).join(" ").split(" ").slice(0, words).join(" ");
}

const prefillOf = (x: WorkerRun) => x.ttftMs ? x.promptTokens / (x.ttftMs / 1000) : NaN;

function figures(
  r: WorkerReport,
  label: string,
  bytesPerToken: number,
  bandwidth: BandwidthResult,
  rss: number,
  weights: number,
): EngineFigures {
  const runs = r.runs.filter((x) => x.label === label);
  const decode = runs.map((x) => x.tokensPerSecond ?? NaN).filter(Number.isFinite);
  const prefill = runs.map(prefillOf).filter(Number.isFinite);
  return {
    label,
    decode,
    prefill,
    decodeMedian: median(decode),
    prefillMedian: median(prefill),
    bytesPerToken,
    fractionOfRoofline: (highest(decode) * bytesPerToken) / bandwidth.bytesPerSecond,
    peakRssBytes: rss,
    weightBytes: weights,
    loadMs: r.loadMs[label],
  };
}

/**
 * Two workers' reports as one: the second's rounds renumbered after the first's, bandwidth
 * passes of both, the first's load times.
 */
export function mergeRounds(a: WorkerReport, b: WorkerReport): WorkerReport {
  const after = Math.max(0, ...a.runs.map((x) => x.round)) + 1;
  return {
    ...a,
    runs: [...a.runs, ...b.runs.map((x) => ({ ...x, round: x.round + after }))],
    bandwidth: [...a.bandwidth, ...b.bandwidth],
  };
}

function roundRatios(
  r: WorkerReport,
  of: (x: WorkerRun) => number,
  other = "llama.cpp",
): number {
  return median(sameRoundRatios(r.runs, "kit", other, of));
}

/**
 * The llama.cpp suite on `preset` (default tinyllama-1.1b): for each dtype, decode and prefill
 * tok/s of both engines interleaved, kit ÷ llama.cpp, % of the bandwidth roofline, peak RSS.
 */
export async function llamaCppSuite(
  o: SuiteOptions,
  preset = TINY,
): Promise<EngineRow[]> {
  const pairs = o.quick ? ENGINE_PAIRS.filter(([d]) => d === "q8" || d === "q4") : ENGINE_PAIRS;
  const dir = await forgeModelDir(preset, pairs.map(([d]) => d));
  const shape = getPreset(preset).shape;
  const prompt = await longPrompt();
  const newTokens = o.quick ? 16 : 32;
  const cores = navigator.hardwareConcurrency;
  const rows: EngineRow[] = [];
  for (const [dtype, variant] of pairs) {
    const gguf = await benchGgufPath(preset, variant, o.log);
    const llama: Runner = { label: "llama.cpp", impl: "llama.cpp", ggufPath: gguf, threads: cores };
    const llama1: Runner = { ...llama, label: "llama.cpp 1 thread", threads: 1 };
    const kit: Runner = { label: "kit", impl: "kit" };
    o.log(`llama.cpp: ${preset} ${dtype} / ${variant}, kit and llama.cpp taking turns…`);
    const base = { modelDir: dir, dtype, prompt, maxTokens: newTokens };
    const order = (runners: Runner[]) =>
      runWorker({
        ...base,
        repeats: Math.max(o.repeats, 2),
        runners,
        bandwidth: true,
      }, 40 * 60_000);
    const kitFirst = await order([kit, llama, llama1]);
    o.log(`llama.cpp: ${dtype} / ${variant}, the same with the kit loaded last…`);
    const kitLast = await order([llama, llama1, kit]);
    const r = mergeRounds(kitFirst, kitLast);
    o.log(`llama.cpp: ${dtype} / ${variant}, peak RSS of each engine alone…`);
    const alone = async (runner: Runner) =>
      peakRss(
        await runWorker({ ...base, maxTokens: 8, repeats: 1, runners: [runner] }, 20 * 60_000),
      );
    const [kitRss, llamaRss] = [await alone(kit), await alone(llama)];
    const bandwidth = bestBandwidth(r.bandwidth);
    const promptTokens = r.runs[0].promptTokens;
    const kitBytes = bytesPerDecodeToken(shape, dtype, promptTokens, newTokens);
    const gg = ggufDecodeBytes(shape, variant, promptTokens + newTokens / 2);
    const kitWeights = weightBytes(shape, dtype).total;
    const texts = (label: string) => r.runs.filter((x) => x.label === label).map((x) => x.text);
    rows.push({
      dtype,
      variant,
      kit: figures(r, "kit", kitBytes, bandwidth, kitRss, kitWeights),
      llama: figures(r, "llama.cpp", gg.perToken, bandwidth, llamaRss, gg.weights),
      llama1: figures(r, "llama.cpp 1 thread", gg.perToken, bandwidth, llamaRss, gg.weights),
      decodeRatio: roundRatios(r, (x) => x.tokensPerSecond ?? NaN),
      decodeRatioByLoadOrder: {
        kitFirst: roundRatios(kitFirst, (x) => x.tokensPerSecond ?? NaN),
        kitLast: roundRatios(kitLast, (x) => x.tokensPerSecond ?? NaN),
      },
      prefillRatio: roundRatios(r, prefillOf),
      decodeRatio1: roundRatios(r, (x) => x.tokensPerSecond ?? NaN, llama1.label),
      prefillRatio1: roundRatios(r, prefillOf, llama1.label),
      sameText: JSON.stringify(texts("kit")) === JSON.stringify(texts("llama.cpp")),
      bandwidth,
      promptTokens,
    });
  }
  return rows;
}
