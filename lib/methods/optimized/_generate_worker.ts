/**
 * Internal: loads one model in one dtype in a fresh process, generates once, prints one
 * JSON line. A fresh process per dtype makes peak RSS (load + generate) comparable.
 */
import { createOptimizedBackend, type OptimizedOptions } from "./backend.ts";
import { currentRssBytes, peakRssBytes } from "../../measure/rss.ts";

const args = JSON.parse(Deno.args[0]) as OptimizedOptions & { prompt: string; maxTokens: number };
const baselineRssBytes = currentRssBytes();
const backend = await createOptimizedBackend(args);
const loadPeak = peakRssBytes();
const loadedRssBytes = currentRssBytes();
// stream() resets the peak first, so result.memory holds the generation's own peak.
const stream = backend.stream(args.prompt, { maxTokens: args.maxTokens, timeoutMs: 10 * 60_000 });
// With --expose-gc, collect garbage as tokens arrive: what stays resident is what is live
// (weights, KV cache), not the tensors of earlier steps waiting for the collector.
const gc = (globalThis as { gc?: () => void }).gc;
let n = 0;
for await (const _ of stream) if (gc && ++n % 16 === 0) gc();
const result = await stream.result;
console.log(JSON.stringify({
  dtype: backend.dtype,
  device: backend.device,
  loadMs: backend.loadMs,
  baselineRssBytes,
  loadedRssBytes,
  peakRssBytes: Math.max(loadPeak, result.memory?.peakRssBytes ?? 0),
  result,
}));
await backend.close();
