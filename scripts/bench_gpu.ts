/**
 * The GPU benchmark: method 2 (the kit's optimized backend) on webgpu vs cpu, and Python
 * transformers fp16 on CUDA loading the same forge weights (model.safetensors), on the same
 * GPU in the same run. Then the decode levers (lib/bench/gpu_levers.ts).
 *
 *   deno task bench-gpu [--models tinyllama-1.1b,llama-2-7b] [--no-python] [--no-cpu]
 *                       [--no-levers | --levers a,b] [--prompt-tokens 512] [--new 128]
 *                       [--models-dir DIR] [--json FILE]
 *   deno task bench-gpu --prepare-carry     (here: what the device run carries, in .carry/)
 *   deno task bench-gpu --dry-run           (no GPU needed: the plumbing on `tiny-random`;
 *                                            the GPU runs fail and are reported as such)
 *
 * On the device machine (no network), in one command: `bash lib/bench/gpu_device.sh`.
 * Models are built with the forge where the benchmark runs (weights never travel), each run
 * is its own process (clean load time and memory; onnxruntime keeps one WebGPU device per
 * process), GPU memory is sampled with nvidia-smi around each process. The table is printed
 * last and the JSON (results, ratios, levers) is written to $OUT/bench_gpu.json when OUT is
 * set, else out/bench_gpu.json; it is rewritten after every run, so a cut-off run keeps
 * what it measured.
 *
 * The forge's random-weight models have no end of text: eos_token_id is removed from the
 * benchmark copies' configs so every run generates exactly --new tokens.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { kitConfig, ROOT } from "../lib/core/mod.ts";
import { detectWebGpu } from "../lib/env/mod.ts";
import { machineInfo } from "../lib/env/mod.ts";
import { buildModel, type ForgeDtype } from "../lib/forge/mod.ts";
import {
  DEFAULT_GPU_PLAN,
  failedResult,
  fixedPrompt,
  type GpuBenchCase,
  type GpuBenchResult,
  gpuRatios,
  gpuTable,
  planCases,
  runKitCase,
  sampleGpuMemory,
} from "../lib/bench/mod.ts";
import { type Lever, type LeverResult, LEVERS, runLever } from "../lib/bench/mod.ts";
import type { Dtype } from "../lib/measure/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    models: { type: "string" },
    "no-python": { type: "boolean", default: false },
    "no-cpu": { type: "boolean", default: false },
    "no-levers": { type: "boolean", default: false },
    "prompt-tokens": { type: "string", default: "512" },
    new: { type: "string", default: "128" },
    "models-dir": { type: "string" },
    json: { type: "string" },
    child: { type: "string" },
    "prepare-carry": { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    levers: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const MARK = "BENCH_RESULT ";
const CHILD_TIMEOUT_MS = 540_000;

if (values.help) {
  console.log(
    "deno task bench-gpu [--models a,b] [--no-python] [--no-cpu] [--no-levers] " +
      "[--prompt-tokens 512] [--new 128] [--models-dir DIR] [--json FILE] | --prepare-carry",
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

if (values.child) {
  // One run in this process; the parent reads the marked line.
  const spec = JSON.parse(values.child);
  let result: unknown;
  try {
    result = spec.lever
      ? await runLever(spec.lever as Lever, spec.opts)
      : await runKitCase(spec.case as GpuBenchCase, spec.opts);
  } catch (e) {
    result = spec.lever
      ? { lever: spec.lever.name, ok: false, error: String((e as Error).message ?? e) }
      : failedResult(spec.case, String((e as Error).message ?? e));
  }
  console.log(MARK + JSON.stringify(result));
  Deno.exit(0);
}

/** Runs a command, samples GPU memory meanwhile, returns the marked JSON line and the peak. */
async function runChild(
  cmd: string,
  args: string[],
): Promise<{ parsed: Record<string, unknown> | null; peakGpuBytes: number | null; log: string }> {
  const sampler = sampleGpuMemory();
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONUNBUFFERED: "1" },
    signal: AbortSignal.timeout(CHILD_TIMEOUT_MS),
  });
  let out = "";
  try {
    const { stdout, stderr } = await child.output();
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

// --- the parent -----------------------------------------------------------------------------
const newTokens = Number(values.new);
const promptTokens = Number(values["prompt-tokens"]);
const modelsDir = values["models-dir"] ?? join(ROOT, ".cache", "gpu-bench");
const jsonPath = values.json ??
  (kitConfig().bench.outDir
    ? join(kitConfig().bench.outDir!, "bench_gpu.json")
    : join(ROOT, "out", "bench_gpu.json"));
const wanted = values.models?.split(",").map((s) => s.trim());
const dryRun = values["dry-run"];
const plan = dryRun
  ? [{ preset: "tiny-random", dtypes: ["fp32", "q4"] as Dtype[] }]
  : DEFAULT_GPU_PLAN.filter((p) => !wanted || wanted.includes(p.preset));
const python = !values["no-python"];

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

const report = {
  date: new Date().toISOString(),
  machine: { ...machine, webgpu: status },
  settings: { promptTokens, newTokens, plan },
  results: [] as GpuBenchResult[],
  ratios: [] as ReturnType<typeof gpuRatios>,
  levers: [] as (LeverResult & { description?: string })[],
  nodeCounts: {} as Record<string, unknown>,
  seconds: {} as Record<string, number>,
};
const save = () => {
  report.ratios = gpuRatios(report.results);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(report, null, 2) + "\n");
};

/** Builds `preset` (once) into the benchmark's folder, without an end-of-text token. */
async function model(
  preset: string,
  dtypes: ForgeDtype[],
  safetensors: boolean,
  layers?: number,
): Promise<string> {
  const dir = join(modelsDir, layers ? `${preset}-L${layers}` : preset);
  try {
    const stamp = JSON.parse(readFileSync(join(dir, "forge.json"), "utf8"));
    if (dtypes.every((d) => stamp.dtypes.includes(d)) && (!safetensors || stamp.safetensors)) {
      return dir;
    }
  } catch { /* build it */ }
  const t = performance.now();
  await buildModel(preset, dir, {
    dtypes,
    safetensors,
    shape: layers ? { num_hidden_layers: layers } : undefined,
    log: (l) => console.log(l),
  });
  for (const f of ["config.json", "generation_config.json"]) {
    const p = join(dir, f);
    const json = JSON.parse(readFileSync(p, "utf8"));
    delete json.eos_token_id;
    writeFileSync(p, JSON.stringify(json, null, 2) + "\n");
  }
  report.seconds[`build ${preset}${layers ? `-L${layers}` : ""}`] = (performance.now() - t) / 1000;
  return dir;
}

const started = performance.now();
const dirs: Record<string, string> = {};
let prompt: { text: string; ids: number[] } | null = null;
let idsFile = "";

for (const { preset, dtypes } of plan) {
  console.log(`\n== ${preset}: fabricando (${dtypes.join(", ")}${python ? " + safetensors" : ""})`);
  dirs[preset] = await model(preset, dtypes as ForgeDtype[], python);
  if (!prompt) {
    prompt = await fixedPrompt(dirs[preset], promptTokens);
    idsFile = join(modelsDir, "prompt_ids.json");
    writeFileSync(idsFile, JSON.stringify(prompt.ids));
  }
  const cases = planCases([{ preset, dtypes }], { python, cpu: !values["no-cpu"] });
  for (const c of cases) {
    const t = performance.now();
    let result: GpuBenchResult;
    if (c.runtime === "python-cuda") {
      const { parsed, peakGpuBytes, log } = await runChild("python3", [
        join(ROOT, "lib/bench/gpu_hf.py"),
        "--model",
        dirs[preset],
        "--ids",
        idsFile,
        "--new",
        String(newTokens),
      ]);
      result = parsed
        ? { ...c, ...(parsed as Partial<GpuBenchResult>), ok: true, peakGpuBytes } as GpuBenchResult
        : failedResult(c, tail(log));
    } else {
      const opts = {
        dir: dirs[preset],
        dtype: c.dtype,
        device: c.runtime === "kit-webgpu" ? "webgpu" : "cpu",
        prompt: prompt.text,
        newTokens,
      };
      const { parsed, peakGpuBytes, log } = await runChild(
        Deno.execPath(),
        denoArgs({ case: c, opts }),
      );
      result = parsed
        ? {
          ...(parsed as unknown as GpuBenchResult),
          peakGpuBytes: c.runtime === "kit-cpu" ? null : peakGpuBytes,
        }
        : failedResult(c, tail(log));
      if (!result.ok && log) console.log(tail(log, 1500));
    }
    report.seconds[`${c.preset} ${c.dtype} ${c.runtime}`] = (performance.now() - t) / 1000;
    report.results.push(result);
    save();
    console.log(
      `${c.preset} ${c.runtime === "python-cuda" ? "fp16" : c.dtype} ${c.runtime}: ` +
        (result.ok
          ? `carga ${(result.loadMs! / 1000).toFixed(1)} s, prefill ${
            result.prefillTokensPerSecond?.toFixed(0)
          } tok/s, decode ${result.decodeTokensPerSecond?.toFixed(1)} tok/s`
          : `error: ${result.error?.slice(0, 300)}`),
    );
  }
}

/**
 * A copy of the model folder whose q4 graph lib/bench/gpu_fuse.py rewrote with `flags`
 * (null when the rewrite failed; its report goes into nodeCounts).
 */
async function rewritten(dir: string, name: string, flags: string[]): Promise<string | null> {
  const out = `${dir}-${name}`;
  mkdirSync(join(out, "onnx"), { recursive: true });
  for (const f of readdirSync(dir)) {
    if (f.endsWith(".json")) copyFileSync(join(dir, f), join(out, f));
  }
  const { success, stdout, stderr } = await new Deno.Command("python3", {
    args: [
      join(ROOT, "lib/bench/gpu_fuse.py"),
      join(dir, "onnx", "model_q4.onnx"),
      join(out, "onnx", "model_q4.onnx"),
      ...flags,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  report.nodeCounts[`rewrite ${name}`] = success
    ? JSON.parse(text)
    : tail(new TextDecoder().decode(stderr));
  return success ? out : null;
}

/** Node counts by op type of an ONNX file, read with Python's onnx (null if unavailable). */
async function countNodes(path: string): Promise<Record<string, number> | null> {
  const code = "import onnx,sys,json,collections;" +
    "m=onnx.load(sys.argv[1],load_external_data=False);" +
    "c=collections.Counter(n.op_type for n in m.graph.node);c['__total__']=len(m.graph.node);" +
    "print(json.dumps(c))";
  try {
    const { success, stdout } = await new Deno.Command("python3", {
      args: ["-c", code, path],
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? JSON.parse(new TextDecoder().decode(stdout)) : null;
  } catch {
    return null;
  }
}

if (!values["no-levers"] && prompt) {
  const preset = plan[0].preset;
  const dtype: Dtype = "q4";
  console.log(`\n== Palancas de decode (${preset} ${dtype}, webgpu)`);
  const full = dirs[preset] ?? await model(preset, ["q4"], false);
  const only = values.levers?.split(",").map((s) => s.trim());
  const raw = LEVERS.find((l) => l.name === "raw-kv-gpu")!;
  const all: Lever[] = [
    ...LEVERS,
    { ...LEVERS[0], name: "tjs-default-2-layers" },
    { ...raw, name: "raw-kv-gpu-2-layers" },
  ];
  const runs: [Lever, string][] = [];
  for (const lever of all.filter((l) => !only || only.includes(l.name))) {
    if (lever.name.endsWith("-2-layers")) {
      runs.push([lever, await model(preset, ["q4"], false, 2)]);
    } else if (lever.rewrite) {
      const dir = await rewritten(full, lever.name, lever.rewrite);
      if (dir) runs.push([lever, dir]);
      else {report.levers.push({
          lever: lever.name,
          model: preset,
          ok: false,
          error: "rewrite failed",
        });}
    } else runs.push([lever, full]);
  }
  for (const [lever, dir] of runs) {
    const optimized = lever.path === "raw"
      ? join(modelsDir, `optimized-${lever.name}.onnx`)
      : undefined;
    const opts = {
      dir,
      dtype,
      promptIds: prompt.ids,
      prompt: prompt.text,
      newTokens,
      optimizedModelPath: optimized,
    };
    const { parsed, log } = await runChild(Deno.execPath(), denoArgs({ lever, opts }));
    const r =
      (parsed ?? { lever: lever.name, ok: false, error: tail(log) }) as unknown as LeverResult;
    report.levers.push({ ...r, description: lever.description });
    if (optimized && existsSync(optimized)) {
      report.nodeCounts[lever.name] = await countNodes(optimized);
    }
    save();
    console.log(
      `${lever.name}: ` +
        (r.ok
          ? `${r.decodeTokensPerSecond?.toFixed(1)} tok/s (${r.msPerToken?.toFixed(2)} ms/token)`
          : `error: ${r.error?.slice(0, 300)}`),
    );
  }
  report.nodeCounts["forge graph (q4)"] = await countNodes(
    join(full, "onnx", "model_q4.onnx"),
  );
  const L2 = join(modelsDir, `${preset}-L2`, "onnx", "model_q4.onnx");
  if (existsSync(L2)) report.nodeCounts["forge graph (2 layers q4)"] = await countNodes(L2);
}

report.seconds.total = (performance.now() - started) / 1000;
save();

// --- the summary, last (the device tool returns the end of the output) ----------------------
console.log("\n" + gpuTable(report.results));
if (report.levers.length) {
  console.log(
    "\n| lever | prefill tok/s | decode tok/s | ms/token | note |\n|---|---|---|---|---|",
  );
  for (const l of report.levers) {
    console.log(
      `| ${l.lever} | ${l.prefillTokensPerSecond?.toFixed(0) ?? "—"} | ${
        l.decodeTokensPerSecond?.toFixed(1) ?? "—"
      } | ${l.msPerToken?.toFixed(2) ?? "—"} | ${
        l.ok ? l.description ?? "" : `error: ${l.error?.slice(0, 160)}`
      } |`,
    );
  }
  const total = (k: string) =>
    (report.nodeCounts[k] as Record<string, number> | null)?.__total__ ?? "—";
  console.log(
    `nodes: forge ${total("forge graph (q4)")} (2 layers: ${
      total("forge graph (2 layers q4)")
    }); after ORT 'all' ${total("raw-kv-gpu")} (2 layers: ${total("raw-kv-gpu-2-layers")}); ` +
      `after 'basic' ${total("raw-opt-basic")}`,
  );
}
const q4 = report.results.find((r) =>
  r.ok && r.preset === "tinyllama-1.1b" && r.dtype === "q4" && r.runtime === "kit-webgpu"
);
if (q4) {
  console.log(
    `target decode ≥ 250 tok/s (tinyllama-1.1b q4 webgpu): ${
      q4.decodeTokensPerSecond?.toFixed(1)
    } tok/s`,
  );
}
console.log(`JSON: ${jsonPath} (${report.seconds.total.toFixed(0)} s)`);
