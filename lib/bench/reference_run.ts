/**
 * A GPU benchmark's JSON (scripts/bench_gpu.ts) turned into a dated reference run that
 * notebooks quote as «medido por el kit en hardware real (máquina, fecha)»: the machine, the
 * date, what was measured, and per configuration prefill/decode tokens per second, time to
 * first token and memory. Written to data/reference_runs/<machine>_<date>.json with
 * `deno run -A scripts/reference_run.ts BENCH_GPU.json OUT.json [--driver V] [--commit SHA]`.
 *
 * @module
 */
import { countParams } from "../measure/memory.ts";
import { getPreset } from "../forge/presets.ts";
import type { GpuBenchResult } from "./gpu.ts";
import type { PlanRatio } from "./gpu_plan.ts";

/** One measured configuration of a reference run. */
export interface ReferenceConfiguration {
  /** e.g. "metodo2-webgpu-q4f16-fused". */
  id: string;
  /** 1 (pipeline, library defaults), 2 (optimized) or "python" (the session's baseline). */
  method: 1 | 2 | "python";
  /** Spanish label for tables. */
  label: string;
  runtime: GpuBenchResult["runtime"];
  device: "webgpu" | "cpu" | "cuda";
  dtype: string;
  graph: string | null;
  ok: boolean;
  error?: string;
  prefillTokensPerSecond: number | null;
  decodeTokensPerSecond: number | null;
  ttftMs: number | null;
  loadMs: number | null;
  peakGpuBytes: number | null;
  peakRssBytes: number | null;
  /** Decode ÷ the GPU's bandwidth roofline for this graph (webgpu runs). */
  rooflineFraction: number | null;
}

/** The committed reference run. */
export interface ReferenceRun {
  schema: 1;
  date: string;
  machine: Record<string, unknown>;
  measured: string;
  measuredBy: string;
  model: { preset: string; params: number; description: string };
  workload: { promptTokens: number; newTokens: number; decoding: string };
  gpuCopyBandwidthBytesPerSecond: number | null;
  configurations: ReferenceConfiguration[];
  ratios: PlanRatio[];
  notes: string[];
}

// deno-lint-ignore no-explicit-any
type BenchJson = any;

const GRAPH_ES: Record<string, string> = {
  fused: "grafo fusionado",
  classic: "grafo clásico",
  "fused-acc0": "grafo fusionado, MatMulNBits nivel 0",
};

/** The label and method of one run, in Spanish. */
function describe(r: GpuBenchResult): Pick<ReferenceConfiguration, "method" | "label" | "device"> {
  if (r.runtime === "python-cuda") {
    return {
      method: "python",
      device: "cuda",
      label: `Python transformers ${r.dtype} (PyTorch sin compilar)`,
    };
  }
  if (r.runtime === "python-cuda-compile") {
    return {
      method: "python",
      device: "cuda",
      label: `Python transformers ${r.dtype} (caché estática + torch.compile)`,
    };
  }
  if (r.runtime === "kit-pipeline") {
    return {
      method: 1,
      device: "cpu",
      label: `Método 1: pipeline con los valores por defecto (${r.extra?.dtype ?? r.dtype}, cpu)`,
    };
  }
  const device = r.runtime === "kit-webgpu" ? "webgpu" : "cpu";
  return {
    method: 2,
    device,
    label: `Método 2: ${r.dtype} en ${device} (${GRAPH_ES[r.graph ?? "fused"]})`,
  };
}

/**
 * Converts a bench_gpu.json report into a {@link ReferenceRun} (profiled runs are left out:
 * profiling slows them down).
 *
 * @example
 * ```ts
 * const ref = toReferenceRun(JSON.parse(readFileSync("bench_gpu.json", "utf8")), {});
 * ```
 */
export function toReferenceRun(
  report: BenchJson,
  extra: { driver?: string; commit?: string; notes?: string[] },
): ReferenceRun {
  const results = (report.results as (GpuBenchResult & { roofline?: { fraction: number } })[])
    .filter((r) => !r.profile);
  const preset = results[0]?.preset ?? "tinyllama-1.1b";
  const m = report.machine;
  const python = results.find((r) => r.runtime.startsWith("python") && r.extra)?.extra ?? {};
  return {
    schema: 1,
    date: String(report.date).slice(0, 10),
    machine: {
      gpu: m.gpus?.map((g: { name: string }) => g.name).join("; "),
      gpuMemoryBytes: m.gpus?.[0]?.memoryTotalBytes ?? null,
      nvidiaDriver: extra.driver ?? null,
      webgpu: "onnxruntime-node 1.30.0 (Dawn sobre Vulkan)",
      cpu: m.cpuModel,
      cpuCores: m.cpuCores,
      memoryTotalBytes: m.memoryTotalBytes,
      os: m.os,
      deno: m.deno,
      transformersJs: "4.3.1",
      torch: python.torch ?? null,
      transformers: python.transformers ?? null,
    },
    measured:
      "Generación voraz (greedy) con la forma de TinyLlama-1.1B (pesos aleatorios de la forja, " +
      "los mismos para el kit y para Python): procesado del prompt (prefill) = tokens del prompt ÷ tiempo hasta el " +
      "primer token; generación (decode) = tokens tras el primero ÷ tiempo del primero al último. Cada " +
      "configuración en su propio proceso, tras una generación de calentamiento.",
    measuredBy: `deno task bench-gpu (scripts/bench_gpu.ts)${
      extra.commit ? `, commit ${extra.commit}` : ""
    }`,
    model: {
      preset,
      params: countParams(getPreset(preset).shape),
      description: "forma de TinyLlama-1.1B (22 capas, GQA 32/4), pesos aleatorios",
    },
    workload: {
      promptTokens: report.settings.promptTokens,
      newTokens: report.settings.newTokens,
      decoding: "voraz (greedy), sin token de fin",
    },
    gpuCopyBandwidthBytesPerSecond: report.gpuCopyBandwidthBytesPerSecond ?? null,
    configurations: results.map((r) => {
      const d = describe(r);
      return {
        id: `${d.method === "python" ? "python" : `metodo${d.method}`}-${d.device}-${r.dtype}${
          d.method === 2 ? `-${r.graph ?? "fused"}` : ""
        }${r.runtime === "python-cuda-compile" ? "-compile" : ""}`,
        ...d,
        runtime: r.runtime,
        dtype: r.runtime.startsWith("python") ? r.dtype : String(r.extra?.dtype ?? r.dtype),
        graph: d.method === 2 ? r.graph ?? "fused" : null,
        ok: r.ok,
        ...(r.ok ? {} : { error: r.error }),
        prefillTokensPerSecond: r.prefillTokensPerSecond,
        decodeTokensPerSecond: r.decodeTokensPerSecond,
        ttftMs: r.prefillMs,
        loadMs: r.loadMs,
        peakGpuBytes: r.peakGpuBytes,
        peakRssBytes: r.peakRssBytes,
        rooflineFraction: r.roofline?.fraction ?? null,
      };
    }),
    ratios: report.ratios ?? [],
    notes: extra.notes ?? [],
  };
}
