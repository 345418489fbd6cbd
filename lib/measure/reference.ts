/**
 * Reference runs: the kit's own benchmark (`deno task bench-gpu`) run on real hardware,
 * turned into a dated reference run by scripts/reference_run.ts and committed under
 * data/reference_runs/<machine>_<date>.json (schema 1: machine, date, what was measured,
 * one entry per configuration). Notebooks 02 and 05 and the demo report show their figures
 * labelled «medido por el kit en hardware real (máquina, fecha)», and say plainly when there
 * is none. The benchmark's raw output kept beside it (`*_bench_gpu.json`) is the source of a
 * reference run, not a second one: it is not read here.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";
import { figureLabel } from "./provenance.ts";

/** Where reference runs live. */
export const REFERENCE_DIR = join(ROOT, "data", "reference_runs");

/** The benchmark's raw output, kept as the source of a reference run (not read as one). */
export const RAW_BENCH_SUFFIX = "_bench_gpu.json";

/** One measured configuration of a reference run. */
export interface ReferenceResult {
  /** e.g. "metodo2-webgpu-q4f16-fused". */
  id: string;
  /** Spanish label, e.g. "Método 2: q4f16 en webgpu (grafo fusionado)". */
  label: string;
  /** 1 (pipeline), 2 (optimized) or "python" (the session's Python baseline). */
  method: 1 | 2 | "python";
  /** "kit-webgpu", "kit-cpu", "kit-pipeline", "python-cuda", … */
  runtime: string;
  device: string;
  dtype: string;
  graph?: string;
  ok: boolean;
  prefillTokensPerSecond: number | null;
  decodeTokensPerSecond: number | null;
  ttftMs: number | null;
  peakGpuBytes: number | null;
  peakRssBytes: number | null;
}

/** A reference run as the notebooks use it. */
export interface ReferenceRun {
  file: string;
  /** "NVIDIA H200" (the GPU), or the CPU model when there is no GPU. */
  machine: string;
  /** YYYY-MM-DD. */
  date: string;
  /** «medido por el kit en hardware real (NVIDIA H200, 2026-12-02)». */
  label: string;
  /** What was measured, in Spanish: model, workload and how (from the file). */
  what: string;
  results: ReferenceResult[];
}

interface RawConfiguration {
  id?: string;
  label?: string;
  method?: number | string;
  runtime?: string;
  device?: string;
  dtype?: string;
  graph?: string | null;
  ok?: boolean;
  prefillTokensPerSecond?: unknown;
  decodeTokensPerSecond?: unknown;
  ttftMs?: unknown;
  peakGpuBytes?: unknown;
  peakRssBytes?: unknown;
}

/** A committed reference run's JSON (lib/bench/reference_run.ts writes it). */
interface RawRun {
  schema?: number;
  date?: string;
  machine?: { gpu?: string; cpu?: string };
  measured?: string;
  model?: { description?: string };
  workload?: { promptTokens?: number; newTokens?: number; decoding?: string };
  configurations?: RawConfiguration[];
}

const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);

/**
 * Turns one committed reference run (schema 1) into a {@link ReferenceRun}; null when it has
 * no configurations. Throws on any other JSON, so a file of the wrong kind is never skipped in
 * silence.
 *
 * @example
 * ```ts
 * parseReferenceRun("h200_2026-12-02.json", JSON.parse(Deno.readTextFileSync(path)))!.label;
 * // "medido por el kit en hardware real (NVIDIA H200, 2026-12-02)"
 * ```
 */
export function parseReferenceRun(file: string, raw: RawRun): ReferenceRun | null {
  if (raw.schema !== 1 || (raw.configurations && !Array.isArray(raw.configurations))) {
    throw new Error(
      `${file} no es una ejecución de referencia (schema 1, «configurations»): ` +
        "créala con scripts/reference_run.ts a partir de la salida de deno task bench-gpu.",
    );
  }
  if (!raw.configurations?.length) return null;
  const machine = raw.machine?.gpu || raw.machine?.cpu || "máquina sin nombre";
  const date = (raw.date ?? /(\d{4}-\d{2}-\d{2})/.exec(file)?.[1] ?? "sin fecha").slice(0, 10);
  const w = raw.workload;
  const what = [
    raw.measured ?? raw.model?.description ?? "",
    w?.promptTokens && w?.newTokens
      ? `Prompt de ${w.promptTokens} tokens y ${w.newTokens} tokens nuevos.`
      : "",
  ].filter(Boolean).join(" ");
  return {
    file,
    machine,
    date,
    label: figureLabel({ kind: "referencia", machine, date }),
    what,
    results: raw.configurations.map((c) => ({
      id: String(c.id ?? "?"),
      label: String(c.label ?? c.id ?? "?"),
      method: c.method === 1 || c.method === 2 ? c.method : "python",
      runtime: String(c.runtime ?? "?"),
      device: String(c.device ?? "?"),
      dtype: String(c.dtype ?? "?"),
      ...(c.graph ? { graph: String(c.graph) } : {}),
      ok: c.ok !== false,
      prefillTokensPerSecond: num(c.prefillTokensPerSecond),
      decodeTokensPerSecond: num(c.decodeTokensPerSecond),
      ttftMs: num(c.ttftMs),
      peakGpuBytes: num(c.peakGpuBytes),
      peakRssBytes: num(c.peakRssBytes),
    })),
  };
}

/**
 * Every reference run in `dir` (default data/reference_runs), newest first; [] when none.
 * The benchmark's raw outputs (`*_bench_gpu.json`) are their sources and are not read.
 */
export function loadReferenceRuns(dir = REFERENCE_DIR): ReferenceRun[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(RAW_BENCH_SUFFIX))
    .sort().reverse().flatMap((f) => {
      const run = parseReferenceRun(f, JSON.parse(readFileSync(join(dir, f), "utf8")));
      return run ? [run] : [];
    });
}

/** What the reference runs are (or that there are none yet), in Spanish. */
export function referenceStatus(runs = loadReferenceRuns()): string {
  if (runs.length === 0) {
    return "Todavía no hay ejecuciones de referencia en hardware real en data/reference_runs/: " +
      "las únicas cifras de GPU disponibles son las medidas aquí (si esta máquina tiene GPU) y las publicadas por terceros.";
  }
  return runs.map((r) => `Ejecución de referencia ${r.file}, ${r.label}. ${r.what}`).join("\n");
}

/** The successful results of a run for one runtime and dtype (any graph). */
export function referenceResults(
  run: ReferenceRun,
  runtime: string,
  dtype?: string,
): ReferenceResult[] {
  return run.results.filter((r) => r.ok && r.runtime === runtime && (!dtype || r.dtype === dtype));
}
