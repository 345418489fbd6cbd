/**
 * Internal: a Web Worker that sums its slice of a shared Float64Array, `passes` times, and
 * posts back the seconds of each pass (one core's streaming read, run in parallel with others).
 */
/// <reference lib="deno.worker" />
import { sumSlice } from "./bandwidth.ts";

self.onmessage = (e: MessageEvent<{ buffer: SharedArrayBuffer; start: number; end: number }>) => {
  const view = new Float64Array(e.data.buffer);
  const t0 = performance.now();
  const sum = sumSlice(view, e.data.start, e.data.end);
  self.postMessage({ ms: performance.now() - t0, sum });
};
