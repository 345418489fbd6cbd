/**
 * The GPU benchmark's run plan: which runs, in which order (the most important first, so a
 * run cut off by its time limit keeps them), which forge folders they need (one folder per
 * graph and dtype, built in parallel processes where the benchmark runs), the ratios between
 * graphs and against the best Python baseline, and the bandwidth roofline.
 *
 * @module
 */
import { join } from "node:path";
import type { ForgeDtype, GraphKind } from "../forge/mod.ts";
import { getPreset } from "../forge/presets.ts";
import type { GpuBenchCase, GpuBenchResult, GraphVariant } from "./gpu.ts";
import { kvReadBytes, weightBytes } from "./model_bytes.ts";

/**
 * The reference run on one GPU for `preset`, most important first: the fused graphs on
 * webgpu (q4f16, q4, fp16), Python fp16 eager, the classic graphs on webgpu, MatMulNBits
 * accuracy level 0 on webgpu, the CPU runs (method 2 fused/classic/level 0, method 1 with the
 * library's defaults), one profiled webgpu run, and Python with static cache + torch.compile
 * last (its compilation takes minutes).
 *
 * @example
 * ```ts
 * referenceCases("tinyllama-1.1b")[0]; // { dtype: "q4f16", runtime: "kit-webgpu", graph: "fused" }
 * ```
 */
export function referenceCases(preset: string): GpuBenchCase[] {
  const c = (
    runtime: GpuBenchCase["runtime"],
    dtype: ForgeDtype,
    graph: GraphVariant = "fused",
    profile = false,
  ): GpuBenchCase => ({ preset, dtype, runtime, graph, ...(profile ? { profile } : {}) });
  return [
    c("kit-webgpu", "q4f16"),
    c("kit-webgpu", "q4"),
    c("kit-webgpu", "fp16"),
    c("kit-webgpu", "fp32"),
    c("python-cuda", "fp16"),
    c("python-cuda", "fp32"),
    c("kit-webgpu", "fp16", "classic"),
    c("kit-webgpu", "q4", "classic"),
    c("kit-webgpu", "q4f16", "fused-acc0"),
    c("kit-webgpu", "q4", "fused-acc0"),
    c("kit-cpu", "q4"),
    c("kit-cpu", "q4", "classic"),
    c("kit-cpu", "q4", "fused-acc0"),
    c("kit-pipeline", "fp32"),
    c("kit-webgpu", "q4f16", "fused", true),
    c("python-cuda-compile", "fp16"),
  ];
}

/** A forge folder the plan needs: one graph, some dtypes, maybe the safetensors. */
export interface BuildJob {
  dir: string;
  preset: string;
  graph: GraphKind;
  q4AccuracyLevel?: number;
  dtypes: ForgeDtype[];
  safetensors: boolean;
}

/** The folder of a case's model (Python runs: the folder holding model.safetensors). */
export function caseDir(modelsDir: string, c: GpuBenchCase): string {
  if (c.runtime.startsWith("python")) return join(modelsDir, `${c.preset}-weights`);
  return join(modelsDir, `${c.preset}-${c.graph ?? "fused"}-${c.dtype}`);
}

/**
 * One build per folder: a folder per graph and dtype (each its own process, so they build
 * side by side), plus one with only model.safetensors for Python.
 *
 * @example
 * ```ts
 * buildJobs("/tmp/m", referenceCases("tinyllama-1.1b")).length; // 9
 * ```
 */
export function buildJobs(modelsDir: string, cases: GpuBenchCase[]): BuildJob[] {
  const jobs = new Map<string, BuildJob>();
  for (const c of cases) {
    const dir = caseDir(modelsDir, c);
    if (jobs.has(dir)) continue;
    const python = c.runtime.startsWith("python");
    const variant = c.graph ?? "fused";
    jobs.set(dir, {
      dir,
      preset: c.preset,
      graph: variant === "classic" ? "classic" : "fused",
      ...(variant === "fused-acc0" ? { q4AccuracyLevel: 0 } : {}),
      dtypes: python ? [] : [c.dtype],
      safetensors: python,
    });
  }
  return [...jobs.values()];
}

/** A ratio between two runs of the same run plan. */
export interface PlanRatio {
  label: string;
  prefill: number | null;
  decode: number | null;
}

const key = (r: GpuBenchCase) => `${r.runtime} ${r.dtype} ${r.graph ?? "fused"}`;
const div = (a?: number | null, b?: number | null) => (a && b ? a / b : null);

/**
 * The ratios the issue asks for, each from the same run: fused ÷ classic per dtype and
 * device, accuracy level 4 ÷ 0, the best kit webgpu run ÷ the best Python run, webgpu prefill
 * ÷ the kit's CPU prefill.
 *
 * @example
 * ```ts
 * planRatios(results).find((r) => r.label.startsWith("fused ÷ classic"));
 * ```
 */
export function planRatios(results: GpuBenchResult[]): PlanRatio[] {
  const ok = results.filter((r) => r.ok && !r.profile);
  const get = (k: string) => ok.find((r) => key(r) === k);
  const out: PlanRatio[] = [];
  const pair = (label: string, a?: GpuBenchResult, b?: GpuBenchResult) => {
    if (a && b) {
      out.push({
        label,
        prefill: div(a.prefillTokensPerSecond, b.prefillTokensPerSecond),
        decode: div(a.decodeTokensPerSecond, b.decodeTokensPerSecond),
      });
    }
  };
  for (const r of ok.filter((r) => (r.graph ?? "fused") === "fused")) {
    const same = (g: GraphVariant) => get(`${r.runtime} ${r.dtype} ${g}`);
    pair(`fused ÷ classic, ${r.dtype} ${r.runtime}`, r, same("classic"));
    pair(`level 4 ÷ level 0, ${r.dtype} ${r.runtime}`, r, same("fused-acc0"));
  }
  const best = (pick: (r: GpuBenchResult) => boolean) =>
    ok.filter(pick).sort((a, b) => (b.decodeTokensPerSecond ?? 0) - (a.decodeTokensPerSecond ?? 0))[
      0
    ];
  const gpu = best((r) => r.runtime === "kit-webgpu");
  const python = best((r) => r.runtime.startsWith("python"));
  if (gpu && python) {
    pair(`best kit webgpu (${key(gpu)}) ÷ best Python (${python.runtime})`, gpu, python);
  }
  const cpu = best((r) => r.runtime === "kit-cpu" && r.dtype === "q4");
  const q4 = best((r) => r.runtime === "kit-webgpu" && r.dtype.startsWith("q4"));
  if (q4 && cpu) pair(`kit webgpu ${key(q4)} ÷ kit cpu ${key(cpu)}`, q4, cpu);
  return out;
}

/**
 * Decode roofline of a webgpu run: the GPU's measured copy bandwidth ÷ the bytes one decode
 * step reads (the graph's weights per token + the KV cache at the mean context).
 */
export function gpuRoofline(
  r: GpuBenchResult,
  bytesPerSecond: number,
): { bytesPerToken: number; tokensPerSecond: number; fraction: number | null } {
  const shape = getPreset(r.preset).shape;
  const graph: GraphKind = r.graph === "classic" ? "classic" : "fused";
  const context = (r.promptTokens ?? 0) + (r.newTokens ?? 0) / 2;
  const bytesPerToken = weightBytes(shape, r.dtype, graph).perToken +
    kvReadBytes(shape, r.dtype, context);
  const tokensPerSecond = bytesPerSecond / bytesPerToken;
  return {
    bytesPerToken,
    tokensPerSecond,
    fraction: r.decodeTokensPerSecond ? r.decodeTokensPerSecond / tokensPerSecond : null,
  };
}
