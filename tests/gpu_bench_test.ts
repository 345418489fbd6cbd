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
  // Python in fp32 beside fp16: the table says fp32, and the ratio stays against fp16.
  results.splice(2, 0, run({ runtime: "python-cuda", dtype: "fp32", decodeTokensPerSecond: 400 }));
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
  assert.match(table, /\| tinyllama-1\.1b \| fp32 \| python-cuda \|/);
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

Deno.test("reference plan: fused webgpu runs first, torch.compile last; one folder per graph and dtype", async () => {
  const { referenceCases, buildJobs, planRatios } = await import("../lib/bench/gpu_plan.ts");
  const cases = referenceCases("tinyllama-1.1b");
  assert.deepEqual(cases[0], {
    preset: "tinyllama-1.1b",
    dtype: "q4f16",
    runtime: "kit-webgpu",
    graph: "fused",
  });
  assert.equal(cases.at(-1)!.runtime, "python-cuda-compile");
  const jobs = buildJobs("/m", cases);
  // fused fp16/q4/q4f16/fp32, classic fp16/q4, level-0 q4/q4f16, Python's weights.
  assert.equal(jobs.length, 9);
  assert.deepEqual(jobs.find((j) => j.dir === "/m/tinyllama-1.1b-weights"), {
    dir: "/m/tinyllama-1.1b-weights",
    preset: "tinyllama-1.1b",
    graph: "fused",
    dtypes: [],
    safetensors: true,
  });
  assert.equal(jobs.find((j) => j.dir.endsWith("fused-acc0-q4"))?.q4AccuracyLevel, 0);
  const ratios = planRatios([
    run({ graph: "fused", decodeTokensPerSecond: 200, prefillTokensPerSecond: 3000 }),
    run({ graph: "classic", decodeTokensPerSecond: 50, prefillTokensPerSecond: 1000 }),
    run({ runtime: "python-cuda", dtype: "fp16", decodeTokensPerSecond: 40 }),
    run({ runtime: "python-cuda-compile", dtype: "fp16", decodeTokensPerSecond: 100 }),
  ]);
  assert.deepEqual(ratios.map((r) => [r.label.split(",")[0].split(" (")[0], r.decode]), [
    ["fused ÷ classic", 4],
    ["best kit webgpu", 2],
  ]);
});

Deno.test("reference run: configurations with method, Spanish label, TTFT and memory", async () => {
  const { toReferenceRun } = await import("../lib/bench/reference_run.ts");
  const ref = toReferenceRun({
    date: "2026-12-01T22:50:00Z",
    machine: { gpus: [{ name: "NVIDIA H200", memoryTotalBytes: 1 }], cpuCores: 16 },
    settings: { promptTokens: 512, newTokens: 128 },
    results: [
      run({ graph: "fused" }),
      run({ runtime: "kit-pipeline", dtype: "fp32", extra: { dtype: "fp32" } }),
      run({ runtime: "python-cuda-compile", dtype: "fp16", ok: false, error: "x" }),
      run({ graph: "fused", profile: true }),
    ],
  }, { driver: "580" });
  assert.deepEqual(ref.configurations.map((c) => [c.id, c.method, c.ttftMs]), [
    ["metodo2-webgpu-q4-fused", 2, 500],
    ["metodo1-cpu-fp32", 1, 500],
    ["python-cuda-fp16-compile", "python", 500],
  ]);
  assert.match(ref.configurations[1].label, /^Método 1: pipeline/);
  assert.equal(ref.configurations[2].error, "x");
  assert.equal(ref.machine.nvidiaDriver, "580");
  assert.equal(ref.date, "2026-12-01");
});
