/**
 * Each method's own memory, for the comparison: methods 1–2 load the same model, dtype and
 * device in a fresh process (its peak RSS: Deno, libraries, model and generation, so the
 * notebook's kernel and the other methods do not count); methods 3–4 offline are read from their local server's
 * process (its peak RSS, with children). A real Ollama not started here and Groq's cloud are
 * not measurable from here, and the row says so.
 *
 * @module
 */
import type { Backend } from "../core/mod.ts";
import { type ComparisonRow, type MethodMemory, processPeakRssBytes } from "../measure/mod.ts";
import { measureInFreshProcess } from "./optimized/dtype_compare.ts";
import type { Dtype } from "../measure/memory.ts";

const DTYPES = ["fp32", "fp16", "q8", "q4"];

/** What {@link measureMethodMemory} needs: the backends and their local servers' pids. */
export interface MemorySubjects {
  backends: Backend[];
  /** Method number → pid of the local server started for it. */
  serverPids: Record<number, number>;
}

/** Measures one method's own memory (see the module doc). */
export async function methodMemory(
  backend: Backend,
  serverPids: Record<number, number>,
): Promise<MethodMemory> {
  if (backend.method <= 2) {
    const b = backend as Backend & { model?: string; dtype?: string; device?: string };
    if (!b.model || !b.dtype || !DTYPES.includes(b.dtype)) {
      return { bytes: null, how: "no medida: dtype desconocido" };
    }
    const run = await measureInFreshProcess({
      model: b.model,
      dtype: b.dtype as Dtype,
      device: b.device === "webgpu" ? "webgpu" : "cpu",
      prompt: "La memoria de la GPU",
      maxTokens: 16,
    });
    if ("error" in run) return { bytes: null, how: `no medida: ${run.error}` };
    return { bytes: run.peakRssBytes, how: `proceso nuevo, ${b.dtype}` };
  }
  const pid = serverPids[backend.method];
  if (pid) {
    const bytes = processPeakRssBytes(pid);
    return bytes === null
      ? { bytes: null, how: "no medida: el servidor ya no está" }
      : { bytes, how: "proceso del servidor" };
  }
  return backend.method === 4
    ? { bytes: null, how: "en la nube: sin memoria local" }
    : { bytes: null, how: "servidor que no arrancó el kit: no medido" };
}

/**
 * Fills `methodMemory` in each comparison row (call it before closing the backends: the
 * servers' processes must still be running).
 */
export async function measureMethodMemory(
  rows: ComparisonRow[],
  subjects: MemorySubjects,
): Promise<ComparisonRow[]> {
  for (const row of rows) {
    const backend = subjects.backends.find((b) => b.method === row.method);
    if (backend) row.methodMemory = await methodMemory(backend, subjects.serverPids);
  }
  return rows;
}
