/**
 * Internal: the one place the benchmarks import onnxruntime-node directly (the same version
 * transformers.js 4.3.1 depends on, pinned in deno.json, so the same native library is loaded
 * once).
 */
import type { Ort } from "./bandwidth.ts";

/** Loads onnxruntime-node (lazily: importing it loads its native library). */
export async function loadOrt(): Promise<Ort> {
  return await import("onnxruntime-node");
}
