/**
 * The GPU benchmark and reference run behind `deno task bench-gpu`: the plan's forge folders
 * built side by side, a prompt of exactly the tokens asked for, then each case in its own
 * process (kit on webgpu and cpu, method 1, Python transformers on CUDA), the roofline of the
 * webgpu runs from the copy bandwidth Python measured, and the decode levers when asked for.
 * The JSON is rewritten after every run (a cut-off run keeps what it measured); runs that
 * cannot start before the deadline are skipped and reported as such. Plan and ratios:
 * lib/bench/gpu_plan.ts; child processes: lib/bench/gpu_child.ts.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { MachineInfo, WebGpuStatus } from "../env/mod.ts";
import { buildModel, type ForgeDtype } from "../forge/mod.ts";
import { failedResult, fixedPrompt, type GpuBenchCase, type GpuBenchResult } from "./gpu.ts";
import type { LeverResult } from "./gpu_levers.ts";
import { runLeverSuite } from "./gpu_levers_suite.ts";
import { buildJobs, caseDir, gpuRoofline, planRatios } from "./gpu_plan.ts";
import { childDenoArgs, logTail, runMarkedChild } from "./gpu_child.ts";

/** The longest a child may run. */
const CHILD_TIMEOUT_MS = 540_000;
/** New tokens of the profiled run. */
const PROFILE_NEW_TOKENS = 32;

/** What {@link runGpuReference} runs. */
export interface GpuReferenceOptions {
  /** The plan's cases (lib/bench/gpu_plan.ts's referenceCases, filtered). */
  cases: GpuBenchCase[];
  /** The presets the cases come from; the levers use the first. */
  presets: string[];
  promptTokens: number;
  newTokens: number;
  /** Where the forge folders are built (reused when complete). */
  modelsDir: string;
  /** The JSON report, rewritten after every run. */
  jsonPath: string;
  /** Seconds from the start after which no run starts (0: none). */
  deadlineS: number;
  /** The levers to run: names, "all", or none. */
  levers?: string;
  machine: MachineInfo & { webgpu: WebGpuStatus };
}

/** One run in the report: a result, with the operator profile and roofline where there are. */
export type GpuReportResult = GpuBenchResult & { opProfile?: unknown; roofline?: unknown };

/** The JSON the GPU benchmark writes. */
export interface GpuReport {
  date: string;
  machine: MachineInfo & { webgpu: WebGpuStatus };
  settings: {
    promptTokens: number;
    newTokens: number;
    profileNewTokens: number;
    cases: GpuBenchCase[];
  };
  builds: Record<string, unknown>;
  gpuCopyBandwidthBytesPerSecond: number | null;
  results: GpuReportResult[];
  ratios: ReturnType<typeof planRatios>;
  levers: (LeverResult & { description?: string })[];
  nodeCounts: Record<string, unknown>;
  seconds: Record<string, number>;
}

/** Runs the benchmark, printing a line per build step and run; returns the report written. */
export async function runGpuReference(o: GpuReferenceOptions): Promise<GpuReport> {
  const started = performance.now();
  const remainingMs = () =>
    o.deadlineS > 0 ? o.deadlineS * 1000 - (performance.now() - started) : CHILD_TIMEOUT_MS;
  const runChild = (cmd: string, args: string[]) =>
    runMarkedChild(cmd, args, Math.max(1000, Math.min(CHILD_TIMEOUT_MS, remainingMs())));
  const { cases, presets, modelsDir, newTokens } = o;
  const report: GpuReport = {
    date: new Date().toISOString(),
    machine: o.machine,
    settings: {
      promptTokens: o.promptTokens,
      newTokens,
      profileNewTokens: PROFILE_NEW_TOKENS,
      cases,
    },
    builds: {},
    gpuCopyBandwidthBytesPerSecond: null,
    results: [],
    ratios: [],
    levers: [],
    nodeCounts: {},
    seconds: {},
  };
  const save = () => {
    report.ratios = planRatios(report.results);
    mkdirSync(dirname(o.jsonPath), { recursive: true });
    writeFileSync(o.jsonPath, JSON.stringify(report, null, 2) + "\n");
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
    const { parsed, log } = await runChild(Deno.execPath(), childDenoArgs("build", job));
    report.builds[job.dir] = parsed ?? { error: logTail(log) };
    if (!parsed) failedBuilds.set(job.dir, logTail(log));
  }));
  report.seconds.build = (performance.now() - tBuild) / 1000;
  console.log(`carpetas listas en ${report.seconds.build.toFixed(0)} s`);
  save();

  // 2. The prompt (exactly promptTokens tokens), from any kit folder.
  const promptDir = jobs.find((j) => !failedBuilds.has(j.dir))?.dir; // any: all have the tokenizer
  const prompt = promptDir ? await fixedPrompt(promptDir, o.promptTokens) : null;
  const idsFile = join(modelsDir, "prompt_ids.json");
  if (prompt) writeFileSync(idsFile, JSON.stringify(prompt.ids));

  // 3. The runs, most important first.
  for (const c of cases) {
    const label = `${c.preset} ${c.dtype} ${c.graph ?? ""} ${c.runtime}${
      c.profile ? " profile" : ""
    }`;
    const dir = caseDir(modelsDir, c);
    const t = performance.now();
    let result: GpuReportResult;
    if (remainingMs() < 15_000) result = failedResult(c, "skipped: the run's deadline was near");
    else if (failedBuilds.has(dir)) {
      result = failedResult(c, `build failed: ${failedBuilds.get(dir)}`);
    } else if (!prompt) result = failedResult(c, "no prompt (no model folder was built)");
    else if (c.runtime.startsWith("python")) {
      const first = !report.results.some((r) => r.runtime.startsWith("python"));
      const { parsed, peakGpuBytes, log } = await runChild("python3", [
        new URL("./gpu_hf.py", import.meta.url).pathname,
        "--model",
        dir,
        "--ids",
        idsFile,
        "--new",
        String(newTokens),
        "--dtype",
        c.dtype,
        ...(c.runtime === "python-cuda-compile" ? ["--compile"] : []),
        ...(first ? ["--bandwidth"] : []),
      ]);
      result = parsed
        ? {
          ...c,
          ...(parsed as Partial<GpuBenchResult>),
          ok: true,
          peakGpuBytes,
        } as GpuReportResult
        : failedResult(c, logTail(log));
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
        childDenoArgs("run", { case: c, opts }),
      );
      result = parsed
        ? {
          ...(parsed as unknown as GpuReportResult),
          peakGpuBytes: device === "cpu" ? null : peakGpuBytes,
        }
        : failedResult(c, logTail(log));
      if (!result.ok && log) console.log(logTail(log, 1500));
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

  // 5. The levers, only when asked for (names, or "all").
  if (o.levers && prompt) {
    console.log(`\n== Palancas de decode (${presets[0]} q4f16 fusionado, webgpu)`);
    await runLeverSuite({
      preset: presets[0],
      modelsDir,
      prompt,
      newTokens,
      rounds: 3,
      only: o.levers === "all" ? undefined : o.levers.split(",").map((s) => s.trim()),
      model: async (preset, dtypes, layers) => {
        const dir = join(modelsDir, `${preset}-fused-levers${layers ? `-L${layers}` : ""}`);
        if (!existsSync(join(dir, "forge.json"))) {
          await buildModel(preset, dir, {
            dtypes,
            safetensors: false,
            graph: "fused",
            shape: layers ? { num_hidden_layers: layers } : undefined,
            log: () => {},
          });
        }
        return dir;
      },
      runChild,
      denoArgs: (spec) => childDenoArgs("run", spec),
      levers: report.levers,
      nodeCounts: report.nodeCounts,
      save,
    });
  }

  report.seconds.total = (performance.now() - started) / 1000;
  save();
  return report;
}
