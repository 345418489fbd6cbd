/**
 * The GPU benchmark and reference run: the kit's method 2 with the forge's fused and classic
 * graphs (fp16, q4, q4f16; MatMulNBits accuracy level 4 and 0) on webgpu and on cpu, method 1
 * with the library's defaults, and Python transformers fp16 on CUDA — eager, and with a static
 * cache + torch.compile — loading the same forge weights (model.safetensors), on the same
 * machine in the same run; the GPU's copy bandwidth (the roofline) and one webgpu run profiled
 * by operator. This is the command line; the run is lib/bench/gpu_reference.ts, plan and
 * ratios lib/bench/gpu_plan.ts.
 *
 *   deno task bench-gpu [--models tinyllama-1.1b] [--no-python] [--no-cpu] [--levers a,b]
 *                       [--prompt-tokens 512] [--new 128] [--models-dir DIR] [--json FILE]
 *                       [--deadline-s 570] [--runtimes kit-webgpu,python-cuda-compile,…]
 *                       [--dtypes q4,q4f16]
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
import { join } from "node:path";
import { kitConfig, ROOT } from "../lib/core/mod.ts";
import { detectWebGpu, machineInfo } from "../lib/env/mod.ts";
import { gpuSummary, referenceCases, runGpuReference } from "../lib/bench/mod.ts";

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
    "prepare-carry": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    levers: { type: "string" },
    runtimes: { type: "string" },
    dtypes: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(
    "deno task bench-gpu [--models a,b] [--no-python] [--no-cpu] [--levers a,b] " +
      "[--prompt-tokens 512] [--new 128] [--models-dir DIR] [--json FILE] [--deadline-s N] " +
      "[--runtimes a,b] [--dtypes a,b] " +
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

const jsonPath = values.json ??
  (kitConfig().bench.outDir
    ? join(kitConfig().bench.outDir!, "bench_gpu.json")
    : join(ROOT, "out", "bench_gpu.json"));
const dryRun = values["dry-run"];
const presets = dryRun ? ["tiny-random"] : values.models?.split(",").map((s) => s.trim()) ??
  ["tinyllama-1.1b"];
const list = (v?: string) => v?.split(",").map((s) => s.trim());
const runtimes = list(values.runtimes), dtypes = list(values.dtypes);
const cases = presets.flatMap(referenceCases).filter((c) =>
  (!runtimes || runtimes.includes(c.runtime)) && (!dtypes || dtypes.includes(c.dtype)) &&
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

const report = await runGpuReference({
  cases,
  presets,
  promptTokens: Number(values["prompt-tokens"]),
  newTokens: Number(values.new),
  modelsDir: values["models-dir"] ?? join(ROOT, ".cache", "gpu-bench"),
  jsonPath,
  deadlineS: Number(values["deadline-s"]),
  levers: values.levers,
  machine: { ...machine, webgpu: status },
});
console.log(gpuSummary(report));
console.log(`JSON: ${jsonPath} (${report.seconds.total.toFixed(0)} s)`);
