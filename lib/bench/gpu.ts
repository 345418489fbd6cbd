/**
 * The GPU benchmark's pieces: which runs to make (the kit on webgpu and on cpu, Python
 * transformers fp16 on CUDA, the same forge weights), how one kit run is measured, GPU memory
 * sampled from nvidia-smi, a fixed-length prompt, the ratios and the table.
 *
 * Measured the way the kit measures every backend (lib/measure/stream.ts): prefill = time to
 * first token for a prompt of `promptTokens` tokens (tokenization and the first sampling step
 * included), decode = tokens after the first ÷ time from first to last token.
 *
 * @module
 */
import { AutoTokenizer, env } from "@huggingface/transformers";
import { basename, dirname } from "node:path";
import { createOptimizedBackend } from "../methods/optimized/backend.ts";
import { createPipelineBackend } from "../methods/pipeline/backend.ts";
import { collectProfile, type ProfileSummary } from "./ort_profile.ts";
import type { Dtype } from "../measure/memory.ts";
import { nvidiaGpus } from "../env/machine.ts";
import { loadCorpus } from "../forge/corpus.ts";

/**
 * Who runs the model: the kit's method 2 on webgpu or cpu, its method 1 (the pipeline with
 * the library's defaults), Python transformers fp16 eager or with a static cache and
 * torch.compile.
 */
export type GpuRuntime =
  | "kit-webgpu"
  | "kit-cpu"
  | "kit-pipeline"
  | "python-cuda"
  | "python-cuda-compile";

/**
 * Which forge graph a kit run loads: "fused" (the default graph), "classic" (plain ONNX
 * operators) or "fused-acc0" (fused, MatMulNBits accuracy_level 0).
 */
export type GraphVariant = "fused" | "classic" | "fused-acc0";

/** One run of the benchmark. */
export interface GpuBenchCase {
  preset: string;
  /** Kit weight format; Python always loads model.safetensors as fp16. */
  dtype: Dtype;
  runtime: GpuRuntime;
  /** Kit runs: the graph (default "fused"). */
  graph?: GraphVariant;
  /** Kit runs: onnxruntime profiling by operator (a shorter generation). */
  profile?: boolean;
}

/** What one run measured (null where it does not apply or failed). */
export interface GpuBenchResult extends GpuBenchCase {
  ok: boolean;
  error?: string;
  loadMs: number | null;
  promptTokens: number | null;
  newTokens: number | null;
  prefillMs: number | null;
  prefillTokensPerSecond: number | null;
  decodeMs: number | null;
  decodeTokensPerSecond: number | null;
  /** Peak GPU memory in use above the idle baseline (nvidia-smi, whole process). */
  peakGpuBytes: number | null;
  /** Peak resident memory of the process. */
  peakRssBytes: number | null;
  /** Anything else the run reports (e.g. torch's max_memory_allocated). */
  extra?: Record<string, number | string | boolean | null>;
}

/** The benchmark's default plan, as the issue asks. */
export const DEFAULT_GPU_PLAN: { preset: string; dtypes: Dtype[] }[] = [
  { preset: "tinyllama-1.1b", dtypes: ["fp16", "q4"] },
  { preset: "llama-2-7b", dtypes: ["q4"] },
];

/**
 * Expands a plan into runs: per preset and dtype the kit on webgpu and on cpu, then one
 * Python fp16 run per preset.
 *
 * @example
 * ```ts
 * planCases([{ preset: "tinyllama-1.1b", dtypes: ["q4"] }]).length; // 3
 * ```
 */
export function planCases(
  plan: { preset: string; dtypes: Dtype[] }[],
  opts: { python?: boolean; cpu?: boolean } = {},
): GpuBenchCase[] {
  const cases: GpuBenchCase[] = [];
  for (const { preset, dtypes } of plan) {
    for (const dtype of dtypes) {
      cases.push({ preset, dtype, runtime: "kit-webgpu" });
      if (opts.cpu ?? true) cases.push({ preset, dtype, runtime: "kit-cpu" });
    }
    if (opts.python ?? true) cases.push({ preset, dtype: "fp16", runtime: "python-cuda" });
  }
  return cases;
}

/** GPU memory in use now, all GPUs together (null without nvidia-smi). */
export async function gpuUsedBytes(): Promise<number | null> {
  const gpus = await nvidiaGpus();
  return gpus.length ? gpus.reduce((s, g) => s + g.memoryUsedBytes, 0) : null;
}

/**
 * Samples GPU memory in use until stopped; `stop()` gives the peak above the value read at
 * the start (null without a GPU).
 *
 * @example
 * ```ts
 * const sampler = sampleGpuMemory();
 * await work();
 * const peak = await sampler.stop();
 * ```
 */
export function sampleGpuMemory(
  read: () => Promise<number | null> = gpuUsedBytes,
  everyMs = 100,
): { stop(): Promise<number | null> } {
  let running = true;
  let baseline: number | null = null;
  let peak: number | null = null;
  const loop = (async () => {
    baseline = await read();
    peak = baseline;
    while (running) {
      const v = await read();
      if (v !== null && (peak === null || v > peak)) peak = v;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const last = await read();
      if (last !== null && (peak === null || last > peak)) peak = last;
      return baseline === null || peak === null ? null : Math.max(0, peak - baseline);
    },
  };
}

/**
 * A prompt of exactly `tokens` tokens for the model in `dir` (words of the kit's Spanish
 * corpus, as many as fit): its text for the kit and its ids for Python.
 *
 * @example
 * ```ts
 * const { text, ids } = await fixedPrompt("/tmp/models/tinyllama-1.1b", 512);
 * ids.length; // 512
 * ```
 */
export async function fixedPrompt(
  dir: string,
  tokens: number,
): Promise<{ text: string; ids: number[] }> {
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = dirname(dir) + "/";
  const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
  const words = (await loadCorpus()).join(" ").split(" ");
  while (words.length < tokens * 4) words.push(...words);
  // deno-lint-ignore no-explicit-any
  const encode = (t: string): number[] => Array.from((tokenizer as any)(t).input_ids.data, Number);
  const count = (n: number) => encode(words.slice(0, n).join(" ")).length;
  let lo = 1;
  let hi = words.length;
  while (lo < hi) { // the most words whose encoding has at most `tokens` tokens
    const mid = Math.ceil((lo + hi) / 2);
    if (count(mid) <= tokens) lo = mid;
    else hi = mid - 1;
  }
  let text = words.slice(0, lo).join(" ");
  // Pad with single letters until the count is exact (each adds one token or none).
  for (let i = 0; encode(text).length < tokens && i < 4 * tokens; i++) text += " a";
  const ids = encode(text);
  if (ids.length !== tokens) {
    throw new Error(`could not make a prompt of ${tokens} tokens (got ${ids.length})`);
  }
  return { text, ids };
}

/** Options of {@link runKitCase}. */
export interface KitRunOptions {
  /** The model folder (forge output). */
  dir: string;
  dtype: Dtype;
  device: "webgpu" | "cpu";
  prompt: string;
  newTokens: number;
  /** Warm-up generation before measuring (default: the same prompt, 4 new tokens). */
  warmupPrompt?: string;
  /** Write onnxruntime's profile to files starting with this path (summarized by operator). */
  profilePrefix?: string;
}

/**
 * Loads the model with the kit's optimized backend and measures one generation after a
 * warm-up (on webgpu the first run compiles the shaders for each shape).
 */
export async function runKitCase(
  c: GpuBenchCase,
  opts: KitRunOptions,
): Promise<GpuBenchResult> {
  const started = performance.now();
  const backend = c.runtime === "kit-pipeline"
    ? await createPipelineBackend({ model: opts.dir })
    : await createOptimizedBackend({
      model: opts.dir,
      dtype: opts.dtype,
      device: opts.device,
      sessionOptions: opts.profilePrefix
        ? { enableProfiling: true, profileFilePrefix: opts.profilePrefix }
        : undefined,
    });
  const loadMs = performance.now() - started;
  try {
    await backend.generate(opts.warmupPrompt ?? opts.prompt, { maxTokens: 4, timeoutMs: 600_000 });
    const r = await backend.generate(opts.prompt, {
      maxTokens: opts.newTokens,
      timeoutMs: 600_000,
    });
    const prefillMs = r.timings.ttftMs;
    return {
      ...c,
      ok: true,
      loadMs,
      promptTokens: r.tokensIn,
      newTokens: r.tokensOut,
      prefillMs,
      prefillTokensPerSecond: prefillMs ? (r.tokensIn * 1000) / prefillMs : null,
      decodeMs: r.timings.decodeMs,
      decodeTokensPerSecond: r.timings.tokensPerSecond,
      peakGpuBytes: null,
      peakRssBytes: r.memory?.peakRssBytes ?? null,
      extra: { device: backend.device, dtype: backend.dtype },
    };
  } finally {
    await backend.close();
  }
}

/** {@link runKitCase}, then onnxruntime's profile of it summarized by operator. */
export async function runKitCaseProfiled(
  c: GpuBenchCase,
  opts: KitRunOptions,
): Promise<GpuBenchResult & { opProfile?: ProfileSummary | null }> {
  const result = await runKitCase(c, opts);
  return opts.profilePrefix ? { ...result, opProfile: collectProfile(opts.profilePrefix) } : result;
}

/** A failed run, with its message. */
export function failedResult(c: GpuBenchCase, error: string): GpuBenchResult {
  return {
    ...c,
    ok: false,
    error,
    loadMs: null,
    promptTokens: null,
    newTokens: null,
    prefillMs: null,
    prefillTokensPerSecond: null,
    decodeMs: null,
    decodeTokensPerSecond: null,
    peakGpuBytes: null,
    peakRssBytes: null,
  };
}

/** A ratio between two runs of one model. */
export interface GpuRatio {
  preset: string;
  dtype: Dtype;
  /** e.g. "kit-webgpu ÷ kit-cpu". */
  pair: string;
  prefill: number | null;
  decode: number | null;
}

const div = (a: number | null | undefined, b: number | null | undefined) => a && b ? a / b : null;

/**
 * kit-webgpu ÷ kit-cpu (same dtype) and kit-webgpu ÷ python-cuda in fp16 (eager), for
 * prefill and decode throughput.
 *
 * @example
 * ```ts
 * gpuRatios(results).find((r) => r.pair === "kit-webgpu ÷ kit-cpu")?.decode;
 * ```
 */
export function gpuRatios(results: GpuBenchResult[]): GpuRatio[] {
  const ratios: GpuRatio[] = [];
  const find = (preset: string, runtime: GpuRuntime, dtype?: Dtype) =>
    results.find((r) =>
      r.ok && r.preset === preset && r.runtime === runtime && (!dtype || r.dtype === dtype)
    );
  for (const gpu of results.filter((r) => r.ok && r.runtime === "kit-webgpu")) {
    for (const [runtime, dtype] of [["kit-cpu", gpu.dtype], ["python-cuda", "fp16"]] as const) {
      const other = find(gpu.preset, runtime, dtype);
      if (!other) continue;
      ratios.push({
        preset: gpu.preset,
        dtype: gpu.dtype,
        pair: `kit-webgpu ÷ ${runtime === "kit-cpu" ? "kit-cpu" : "python-cuda fp16"}`,
        prefill: div(gpu.prefillTokensPerSecond, other.prefillTokensPerSecond),
        decode: div(gpu.decodeTokensPerSecond, other.decodeTokensPerSecond),
      });
    }
  }
  return ratios;
}

const num = (v: number | null | undefined, digits = 1) => (v == null ? "—" : v.toFixed(digits));
const gb = (v: number | null | undefined) => (v == null ? "—" : (v / 1e9).toFixed(2));

/**
 * The results and ratios as Markdown tables (English headers: the benchmark is for the
 * kit's developers; the notebook shows its own Spanish table).
 *
 * @example
 * ```ts
 * console.log(gpuTable(results));
 * ```
 */
export function gpuTable(results: GpuBenchResult[]): string {
  const lines = [
    "| model | dtype | runtime | load s | prefill tok/s | decode tok/s | ms/token | peak GPU GB | peak RSS GB | note |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const msPerToken = r.decodeTokensPerSecond ? 1000 / r.decodeTokensPerSecond : null;
    lines.push(
      `| ${r.preset} | ${r.dtype} | ${r.runtime}${
        r.graph && r.graph !== "fused" ? ` ${r.graph}` : ""
      } | ${num(r.loadMs == null ? null : r.loadMs / 1000)} | ${num(r.prefillTokensPerSecond)} | ${
        num(r.decodeTokensPerSecond)
      } | ${num(msPerToken, 2)} | ${gb(r.peakGpuBytes)} | ${gb(r.peakRssBytes)} | ${
        r.ok ? `${r.promptTokens}+${r.newTokens} tok` : `error: ${r.error?.slice(0, 120)}`
      } |`,
    );
  }
  const ratios = gpuRatios(results);
  if (ratios.length) {
    lines.push("", "| model | dtype | ratio | prefill | decode |", "|---|---|---|---|---|");
    for (const q of ratios) {
      lines.push(
        `| ${q.preset} | ${q.dtype} | ${q.pair} | ${num(q.prefill, 2)}× | ${num(q.decode, 2)}× |`,
      );
    }
  }
  return lines.join("\n");
}
