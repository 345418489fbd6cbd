/**
 * The GPU benchmark's plumbing without a GPU: the plan, ratios and table, the GPU memory
 * sampler (simulated nvidia-smi), the fixed-length prompt, and the CLI's clear refusal on a
 * machine without a GPU.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fixedPrompt,
  type GpuBenchResult,
  gpuRatios,
  gpuTable,
  planCases,
  sampleGpuMemory,
} from "../lib/bench/gpu.ts";
import { detectWebGpu } from "../lib/env/gpu.ts";
import { ROOT } from "../lib/core/paths.ts";
import { TINY_DIR } from "./_tiny_oracle.ts";

const run = (over: Partial<GpuBenchResult>): GpuBenchResult => ({
  preset: "tinyllama-1.1b",
  dtype: "q4",
  runtime: "kit-webgpu",
  ok: true,
  loadMs: 1000,
  promptTokens: 512,
  newTokens: 128,
  prefillMs: 500,
  prefillTokensPerSecond: 1024,
  decodeMs: 1270,
  decodeTokensPerSecond: 100,
  peakGpuBytes: 1e9,
  peakRssBytes: 2e9,
  ...over,
});

Deno.test("planCases: webgpu and cpu per dtype, one Python fp16 run per model", () => {
  const cases = planCases([{ preset: "tinyllama-1.1b", dtypes: ["fp16", "q4"] }]);
  assert.deepEqual(cases.map((c) => `${c.dtype} ${c.runtime}`), [
    "fp16 kit-webgpu",
    "fp16 kit-cpu",
    "q4 kit-webgpu",
    "q4 kit-cpu",
    "fp16 python-cuda",
  ]);
  assert.equal(
    planCases([{ preset: "x", dtypes: ["q4"] }], { python: false, cpu: false }).length,
    1,
  );
});

Deno.test("gpuRatios and gpuTable: webgpu over cpu (same dtype) and over Python", () => {
  const results = [
    run({}),
    run({ runtime: "kit-cpu", prefillTokensPerSecond: 256, decodeTokensPerSecond: 25 }),
    run({
      runtime: "python-cuda",
      dtype: "fp16",
      prefillTokensPerSecond: 2048,
      decodeTokensPerSecond: 50,
    }),
    run({ runtime: "kit-cpu", dtype: "fp16", ok: false, error: "boom" }),
  ];
  const ratios = gpuRatios(results);
  assert.deepEqual(ratios.map((r) => [r.pair, r.prefill, r.decode]), [
    ["kit-webgpu ÷ kit-cpu", 4, 4],
    ["kit-webgpu ÷ python-cuda fp16", 0.5, 2],
  ]);
  const table = gpuTable(results);
  assert.match(
    table,
    /\| tinyllama-1\.1b \| q4 \| kit-webgpu \| 1\.0 \| 1024\.0 \| 100\.0 \| 10\.00 \| 1\.00 \| 2\.00 \| 512\+128 tok \|/,
  );
  assert.match(table, /error: boom/);
  assert.match(table, /kit-webgpu ÷ kit-cpu \| 4\.00× \| 4\.00× \|/);
});

Deno.test("sampleGpuMemory: peak above the starting value; null without a GPU", async () => {
  const values = [1000, 1500, 4000, 2000];
  let i = 0;
  const sampler = sampleGpuMemory(() => Promise.resolve(values[Math.min(i++, 3)]), 1);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(await sampler.stop(), 3000);
  assert.equal(await sampleGpuMemory(() => Promise.resolve(null), 1).stop(), null);
});

Deno.test("fixedPrompt: exactly the tokens asked for", async () => {
  const { text, ids } = await fixedPrompt(TINY_DIR, 64);
  assert.equal(ids.length, 64);
  assert.ok(text.length > 64);
});

Deno.test({
  name: "bench-gpu on a machine without a GPU: says why and stops",
  ignore: (await detectWebGpu()).available,
  fn: async () => {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "scripts/bench_gpu.ts")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(code, 2);
    assert.match(out, /Sin GPU utilizable no hay benchmark de GPU que hacer aquí/);
  },
});
