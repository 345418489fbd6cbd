/**
 * Internal: loads one model in one dtype in a fresh process, generates once, prints one
 * JSON line. A fresh process per dtype makes peak RSS (load + generate) comparable.
 */
import { createOptimizedBackend, type OptimizedOptions } from "../backends/optimized.ts";
import { currentRssBytes, peakRssBytes } from "./rss.ts";

const args = JSON.parse(Deno.args[0]) as OptimizedOptions & { prompt: string; maxTokens: number };
const baselineRssBytes = currentRssBytes();
const backend = await createOptimizedBackend(args);
const result = await backend.generate(args.prompt, { maxTokens: args.maxTokens });
console.log(JSON.stringify({
  dtype: backend.dtype,
  device: backend.device,
  loadMs: backend.loadMs,
  baselineRssBytes,
  peakRssBytes: peakRssBytes(),
  result,
}));
await backend.close();
