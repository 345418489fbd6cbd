/**
 * The GPU benchmark and reference run: the kit's method 2 with the forge's fused and classic
 * graphs (fp16, q4, q4f16; MatMulNBits accuracy level 4 and 0) on webgpu and on cpu, method 1
 * with the library's defaults, and Python transformers fp16 on CUDA — eager, and with a static
 * cache + torch.compile — loading the same forge weights (model.safetensors), on the same
 * machine in the same run; the GPU's copy bandwidth (the roofline) and one webgpu run profiled
 * by operator. Plan and ratios: lib/bench/gpu_plan.ts.
 *
 *   deno task bench-gpu [--models tinyllama-1.1b] [--no-python] [--no-cpu] [--levers a,b]
 *                       [--prompt-tokens 512] [--new 128] [--models-dir DIR] [--json FILE]
 *                       [--deadline-s 570] [--runtimes kit-webgpu,python-cuda-compile,…]
 *   deno task bench-gpu --prepare-carry     (here: what the device run carries, in .carry/)
 *   deno task bench-gpu --dry-run           (no GPU needed: the whole plan on `tiny-random`;
 *                                            the GPU runs fail and are reported as such)
 *
 * On the device machine (no network), in one command: `bash lib/bench/gpu_device.sh`.
 * Models are built with the forge where the benchmark runs (weights never travel), one folder
 * per graph and dtype, all in parallel processes. Each run is its own process (clean load time
 * and memory; onnxruntime keeps one WebGPU device per process), GPU memory is sampled with
 * nvidia-smi around each. The JSON is rewritten after every run (a cut-off run keeps what it
 * measured) to $OUT/bench_gpu.json when OUT is set, else out/bench_gpu.json; runs that cannot
 * start before --deadline-s are skipped and reported as such.
 *
 * The forge's random-weight models have no end of text: eos_token_id is removed from the
 * benchmark copies' configs so every run generates exactly --new tokens.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { kitConfig, ROOT } from "../lib/core/mod.ts";
import { detectWebGpu } from "../lib/env/mod.ts";
import { machineInfo } from "../lib/env/mod.ts";
import { buildModel, type ForgeDtype } from "../lib/forge/mod.ts";
import {
  failedResult,
  fixedPrompt,
  type GpuBenchCase,
  type GpuBenchResult,
  gpuTable,
  runKitCaseProfiled,
  sampleGpuMemory,
} from "../lib/bench/mod.ts";
import {
  type BuildJob,
  buildJobs,
  caseDir,
  gpuRoofline,
  type Lever,
  type LeverResult,
  planRatios,
  referenceCases,
  runLever,
  runLeverSuite,
} from "../lib/bench/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    models: { type: "string" },
    "no-python": { type: "boolean", default: false },
    "no-cpu": { type: "boolean", default: false },
    "prompt-tokens": { type: "string", default: "512" },
    new: { type: "string", default: "128" },
    "models-dir": { type: "string" },
    json: { type: "string" },
    "deadline-s": { type: "string", default: "0" },
    child: { type: "string" },
    "child-build": { type: "string" },
    "prepare-carry": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    levers: { type: "string" },
    runtimes: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const MARK = "BENCH_RESULT ";
const CHILD_TIMEOUT_MS = 540_000;
const PROFILE_NEW_TOKENS = 32;

if (values.help) {
  console.log(
    "deno task bench-gpu [--models a,b] [--no-python] [--no-cpu] [--levers a,b] " +
      "[--prompt-tokens 512] [--new 128] [--models-dir DIR] [--json FILE] [--deadline-s N] " +
      "[--runtimes a,b] " +
      "| --prepare-carry | --dry-run",
  );
  Deno.exit(0);
}

if (values["prepare-carry"]) {
  const { code } = await new Deno.Command("bash", {
    args: [join(ROOT, "lib/bench/gpu_carry.sh")],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}

if (values["child-build"]) {
  // One forge folder in this process (several build side by side).
  const job = JSON.parse(values["child-build"]) as BuildJob;
  const t = performance.now();
  await buildModel(job.preset, job.dir, {
    dtypes: job.dtypes,
    safetensors: job.safetensors,
    graph: job.graph,
    q4AccuracyLevel: job.q4AccuracyLevel,
    log: () => {},
  });
  for (const f of ["config.json", "generation_config.json"]) {
    const p = join(job.dir, f);
    const json = JSON.parse(readFileSync(p, "utf8"));
    delete json.eos_token_id;
    writeFileSync(p, JSON.stringify(json, null, 2) + "\n");
  }
  console.log(MARK + JSON.stringify({ seconds: (performance.now() - t) / 1000 }));
  Deno.exit(0);
}

if (values.child) {
  // One run in this process; the parent reads the marked line.
  const spec = JSON.parse(values.child);
  let result: unknown;
  try {
    result = spec.lever
      ? await runLever(spec.lever as Lever, spec.opts)
      : await runKitCaseProfiled(spec.case as GpuBenchCase, spec.opts);
  } catch (e) {
    result = spec.lever
      ? { lever: spec.lever.name, ok: false, error: String((e as Error).message ?? e) }
      : failedResult(spec.case, String((e as Error).message ?? e));
  }
  console.log(MARK + JSON.stringify(result));
  Deno.exit(0);
}

// --- the parent -----------------------------------------------------------------------------
const started = performance.now();
const deadlineMs = Number(values["deadline-s"]) * 1000;
const remainingMs = () =>
  deadlineMs > 0 ? deadlineMs - (performance.now() - started) : CHILD_TIMEOUT_MS;

/** Runs a command, samples GPU memory meanwhile, returns the marked JSON line and the peak. */
async function runChild(
  cmd: string,
  args: string[],
): Promise<{ parsed: Record<string, unknown> | null; peakGpuBytes: number | null; log: string }> {
  const sampler = sampleGpuMemory();
  let out = "";
  try {
    const { stdout, stderr } = await new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { PYTHONUNBUFFERED: "1" },
      signal: AbortSignal.timeout(Math.max(1000, Math.min(CHILD_TIMEOUT_MS, remainingMs()))),
    }).output();
    out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  } catch (e) {
    out = `child failed: ${(e as Error).message}`;
  }
  const peakGpuBytes = await sampler.stop();
  const line = out.split("\n").find((l) => l.startsWith(MARK));
  return { parsed: line ? JSON.parse(line.slice(MARK.length)) : null, peakGpuBytes, log: out };
}

const denoArgs = (spec: unknown) => [
  "run",
  "-A",
  ...kitConfig().bench.denoFlags,
  join(ROOT, "scripts/bench_gpu.ts"),
  "--child",
  JSON.stringify(spec),
];

const tail = (s: string, n = 600) => s.trim().slice(-n).replace(/\s+/g, " ");

const newTokens = Number(values.new);
const promptTokens = Number(values["prompt-tokens"]);
const modelsDir = values["models-dir"] ?? join(ROOT, ".cache", "gpu-bench");
const jsonPath = values.json ??
  (kitConfig().bench.outDir
    ? join(kitConfig().bench.outDir!, "bench_gpu.json")
    : join(ROOT, "out", "bench_gpu.json"));
const dryRun = values["dry-run"];
const presets = dryRun ? ["tiny-random"] : values.models?.split(",").map((s) => s.trim()) ??
  ["tinyllama-1.1b"];
const runtimes = values.runtimes?.split(",").map((s) => s.trim());
const cases = presets.flatMap(referenceCases).filter((c) =>
  (!runtimes || runtimes.includes(c.runtime)) &&
  !(values["no-python"] && c.runtime.startsWith("python")) &&
  !(values["no-cpu"] && (c.runtime === "kit-cpu" || c.runtime === "kit-pipeline"))
);

const machine = await machineInfo();
const status = await detectWebGpu();
console.log(
  `GPU: ${machine.gpus.map((g) => g.name).join("; ") || "ninguna"}; ` +
    `${machine.cpuCores} núcleos de CPU; deno ${machine.deno}`,
);
console.log(status.message + (status.fix ? ` ${status.fix}` : ""));
if (!status.available && !dryRun) {
  console.log("Sin GPU utilizable no hay benchmark de GPU que hacer aquí (ver arriba por qué).");
  Deno.exit(2);
}

type Result = GpuBenchResult & { opProfile?: unknown; roofline?: unknown };
const report = {
  date: new Date().toISOString(),
  machine: { ...machine, webgpu: status },
  settings: { promptTokens, newTokens, profileNewTokens: PROFILE_NEW_TOKENS, cases },
  builds: {} as Record<string, unknown>,
  gpuCopyBandwidthBytesPerSecond: null as number | null,
  results: [] as Result[],
  ratios: [] as ReturnType<typeof planRatios>,
  levers: [] as (LeverResult & { description?: string })[],
  nodeCounts: {} as Record<string, unknown>,
  seconds: {} as Record<string, number>,
};
const save = () => {
  report.ratios = planRatios(report.results);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(report, null, 2) + "\n");
};

// 1. Every folder, built side by side (one process each; reused when already complete).
const jobs = buildJobs(modelsDir, cases);
console.log(`\n== Fabricando ${jobs.length} carpetas en paralelo (${presets.join(", ")})`);
const tBuild = performance.now();
const failedBuilds = new Map<string, string>();
await Promise.all(jobs.map(async (job) => {
  try {
    const stamp = JSON.parse(readFileSync(join(job.dir, "forge.json"), "utf8"));
    if (job.dtypes.every((d: ForgeDtype) => stamp.dtypes.includes(d))) return;
  } catch { /* build it */ }
  const { parsed, log } = await runChild(Deno.execPath(), [
    "run",
    "-A",
    ...kitConfig().bench.denoFlags,
    join(ROOT, "scripts/bench_gpu.ts"),
    "--child-build",
    JSON.stringify(job),
  ]);
  report.builds[job.dir] = parsed ?? { error: tail(log) };
  if (!parsed) failedBuilds.set(job.dir, tail(log));
}));
report.seconds.build = (performance.now() - tBuild) / 1000;
console.log(`carpetas listas en ${report.seconds.build.toFixed(0)} s`);
save();

// 2. The prompt (exactly promptTokens tokens), from any kit folder.
const promptDir = jobs.find((j) => !failedBuilds.has(j.dir))?.dir; // any: all have the tokenizer
const prompt = promptDir ? await fixedPrompt(promptDir, promptTokens) : null;
const idsFile = join(modelsDir, "prompt_ids.json");
if (prompt) writeFileSync(idsFile, JSON.stringify(prompt.ids));

// 3. The runs, most important first.
for (const c of cases) {
  const label = `${c.preset} ${c.dtype} ${c.graph ?? ""} ${c.runtime}${
    c.profile ? " profile" : ""
  }`;
  const dir = caseDir(modelsDir, c);
  const t = performance.now();
  let result: Result;
  if (remainingMs() < 15_000) result = failedResult(c, "skipped: the run's deadline was near");
  else if (failedBuilds.has(dir)) {
    result = failedResult(c, `build failed: ${failedBuilds.get(dir)}`);
  } else if (!prompt) result = failedResult(c, "no prompt (no model folder was built)");
  else if (c.runtime.startsWith("python")) {
    const first = !report.results.some((r) => r.runtime.startsWith("python"));
    const { parsed, peakGpuBytes, log } = await runChild("python3", [
      join(ROOT, "lib/bench/gpu_hf.py"),
      "--model",
      dir,
      "--ids",
      idsFile,
      "--new",
      String(newTokens),
      ...(c.runtime === "python-cuda-compile" ? ["--compile"] : []),
      ...(first ? ["--bandwidth"] : []),
    ]);
    result = parsed
      ? { ...c, ...(parsed as Partial<GpuBenchResult>), ok: true, peakGpuBytes } as Result
      : failedResult(c, tail(log));
    const bw = Number(result.extra?.copyBandwidthBytesPerSecond);
    if (bw > 0) report.gpuCopyBandwidthBytesPerSecond = bw;
  } else {
    const device = c.runtime === "kit-webgpu" ? "webgpu" : "cpu";
    const opts = {
      dir,
      dtype: c.dtype,
      device,
      prompt: prompt.text,
      newTokens: c.profile ? PROFILE_NEW_TOKENS : newTokens,
      profilePrefix: c.profile ? join(modelsDir, `profile-${c.dtype}-${device}`) : undefined,
    };
    const { parsed, peakGpuBytes, log } = await runChild(
      Deno.execPath(),
      denoArgs({ case: c, opts }),
    );
    result = parsed
      ? { ...(parsed as unknown as Result), peakGpuBytes: device === "cpu" ? null : peakGpuBytes }
      : failedResult(c, tail(log));
    if (!result.ok && log) console.log(tail(log, 1500));
  }
  report.seconds[label] = (performance.now() - t) / 1000;
  report.results.push(result);
  save();
  console.log(
    `${label}: ` +
      (result.ok
        ? `carga ${(result.loadMs! / 1000).toFixed(1)} s, prefill ${
          result.prefillTokensPerSecond?.toFixed(0)
        } tok/s, decode ${result.decodeTokensPerSecond?.toFixed(1)} tok/s`
        : `error: ${result.error?.slice(0, 300)}`),
  );
}

// 4. Roofline of the webgpu runs, from the copy bandwidth Python measured.
const bw = report.gpuCopyBandwidthBytesPerSecond;
if (bw) {
  for (const r of report.results) {
    if (r.ok && r.runtime === "kit-webgpu") r.roofline = gpuRoofline(r, bw);
  }
}

// 5. The levers, only when asked for (--levers a,b or --levers all).
if (values.levers && prompt) {
  console.log(`\n== Palancas de decode (${presets[0]} q4 clásico, webgpu)`);
  await runLeverSuite({
    preset: presets[0],
    modelsDir,
    prompt,
    newTokens,
    only: values.levers === "all" ? undefined : values.levers.split(",").map((s) => s.trim()),
    model: async (preset, dtypes, layers) => {
      const dir = join(modelsDir, `${preset}-classic-levers${layers ? `-L${layers}` : ""}`);
      if (!existsSync(join(dir, "forge.json"))) {
        await buildModel(preset, dir, {
          dtypes,
          safetensors: false,
          graph: "classic",
          shape: layers ? { num_hidden_layers: layers } : undefined,
          log: () => {},
        });
      }
      return dir;
    },
    runChild,
    denoArgs,
    levers: report.levers,
    nodeCounts: report.nodeCounts,
    save,
  });
}

report.seconds.total = (performance.now() - started) / 1000;
save();

// --- the summary, last (the device tool returns the end of the output) ----------------------
console.log("\n" + gpuTable(report.results.filter((r) => !r.profile)));
console.log("\n| ratio (same run) | prefill | decode |\n|---|---|---|");
for (const q of report.ratios) {
  console.log(
    `| ${q.label} | ${q.prefill?.toFixed(2) ?? "—"}× | ${q.decode?.toFixed(2) ?? "—"}× |`,
  );
}
if (bw) {
  console.log(`\nGPU copy bandwidth ${(bw / 1e12).toFixed(2)} TB/s; roofline (webgpu):`);
  for (const r of report.results.filter((r) => r.roofline && !r.profile)) {
    const f = r.roofline as ReturnType<typeof gpuRoofline>;
    console.log(
      `  ${r.dtype} ${r.graph}: ${f.tokensPerSecond.toFixed(0)} tok/s possible, measured ${
        ((f.fraction ?? 0) * 100).toFixed(1)
      } %`,
    );
  }
}
const prof = report.results.find((r) => r.opProfile)?.opProfile as
  | {
    stepUs: number;
    kernelFraction: number;
    kernelsPerStep: number;
    ops: { op: string; usPerStep: number; callsPerStep: number }[];
  }
  | undefined;
if (prof) {
  console.log(
    `\nprofile (webgpu q4f16 decode step): ${prof.stepUs.toFixed(0)} µs, ${
      prof.kernelsPerStep.toFixed(0)
    } kernels, ${(prof.kernelFraction * 100).toFixed(0)} % inside kernels; top: ` +
      prof.ops.slice(0, 6).map((o) =>
        `${o.op} ${o.usPerStep.toFixed(0)} µs/${o.callsPerStep.toFixed(0)}`
      ).join(", "),
  );
}
console.log(`JSON: ${jsonPath} (${report.seconds.total.toFixed(0)} s)`);
