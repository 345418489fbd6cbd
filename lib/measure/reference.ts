/**
 * Reference runs: the kit's own benchmark (`deno task bench-gpu`) run on real hardware and
 * committed as dated JSON under data/reference_runs/. Notebooks 02 and 05 and the demo report
 * show their figures labelled «medido por el kit en hardware real (máquina, fecha)», and say
 * plainly when there is none.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";
import { figureLabel } from "./provenance.ts";

/** Where reference runs live. */
export const REFERENCE_DIR = join(ROOT, "data", "reference_runs");

/** One measured case of a reference run (the fields of the GPU benchmark's results). */
export interface ReferenceResult {
  /** "kit-webgpu", "kit-cpu", "kit-pipeline", "python-cuda", … */
  runtime: string;
  dtype: string;
  graph?: string;
  preset?: string;
  ok: boolean;
  prefillTokensPerSecond: number | null;
  decodeTokensPerSecond: number | null;
  peakGpuBytes: number | null;
  peakRssBytes: number | null;
}

/** A reference run as the notebooks use it. */
export interface ReferenceRun {
  file: string;
  /** "NVIDIA H200" (the GPUs' names), or the CPU model when there is no GPU. */
  machine: string;
  /** YYYY-MM-DD. */
  date: string;
  /** «medido por el kit en hardware real (NVIDIA H200, 2026-12-01)». */
  label: string;
  results: ReferenceResult[];
}

interface RawRun {
  date?: string;
  machine?: { gpus?: { name?: string }[]; cpuModel?: string };
  results?: Partial<ReferenceResult>[];
}

/**
 * Turns one benchmark JSON into a {@link ReferenceRun} (null when it has no results).
 *
 * @example
 * ```ts
 * parseReferenceRun("x.json", { date: "2026-12-01T10:00:00Z", machine: { gpus: [{ name: "NVIDIA H200" }] }, results: [] });
 * ```
 */
export function parseReferenceRun(file: string, raw: RawRun): ReferenceRun | null {
  if (!Array.isArray(raw.results) || raw.results.length === 0) return null;
  const gpus = [...new Set((raw.machine?.gpus ?? []).map((g) => g.name).filter(Boolean))];
  const machine = gpus.length ? gpus.join(" + ") : raw.machine?.cpuModel ?? "máquina sin nombre";
  const date = (raw.date ?? /(\d{4}-\d{2}-\d{2})/.exec(file)?.[1] ?? "sin fecha").slice(0, 10);
  const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);
  return {
    file,
    machine,
    date,
    label: figureLabel({ kind: "referencia", machine, date }),
    results: raw.results.map((r) => ({
      runtime: String(r.runtime ?? "?"),
      dtype: String(r.dtype ?? "?"),
      ...(r.graph ? { graph: String(r.graph) } : {}),
      ...(r.preset ? { preset: String(r.preset) } : {}),
      ok: r.ok !== false,
      prefillTokensPerSecond: num(r.prefillTokensPerSecond),
      decodeTokensPerSecond: num(r.decodeTokensPerSecond),
      peakGpuBytes: num(r.peakGpuBytes),
      peakRssBytes: num(r.peakRssBytes),
    })),
  };
}

/** Every reference run in `dir` (default data/reference_runs), newest first; [] when none. */
export function loadReferenceRuns(dir = REFERENCE_DIR): ReferenceRun[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().reverse().flatMap((f) => {
    const run = parseReferenceRun(f, JSON.parse(readFileSync(join(dir, f), "utf8")));
    return run ? [run] : [];
  });
}

/** One sentence on the reference runs available (or that there are none yet). */
export function referenceStatus(runs = loadReferenceRuns()): string {
  if (runs.length === 0) {
    return "Todavía no hay ejecuciones de referencia en hardware real en data/reference_runs/: " +
      "las únicas cifras de GPU disponibles son las medidas aquí (si esta máquina tiene GPU) y las publicadas por terceros.";
  }
  return `Ejecuciones de referencia: ${runs.map((r) => `${r.file} (${r.label})`).join("; ")}.`;
}

/** The successful results of a run for one runtime and dtype (any graph, preset). */
export function referenceResults(
  run: ReferenceRun,
  runtime: string,
  dtype?: string,
): ReferenceResult[] {
  return run.results.filter((r) => r.ok && r.runtime === runtime && (!dtype || r.dtype === dtype));
}
