/**
 * The GPU benchmark's child processes: every build and every run is its own process (clean
 * load time and memory; onnxruntime keeps one WebGPU device per process). The child
 * (lib/bench/_gpu_child.ts) prints its result as one marked JSON line; the parent samples GPU
 * memory with nvidia-smi while it runs and reads that line back.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kitConfig, ROOT } from "../core/mod.ts";
import { buildModel } from "../forge/mod.ts";
import {
  failedResult,
  type GpuBenchCase,
  type KitRunOptions,
  runKitCaseProfiled,
  sampleGpuMemory,
} from "./gpu.ts";
import { type Lever, type LeverRunOptions, runLever } from "./gpu_levers.ts";
import type { BuildJob } from "./gpu_plan.ts";

/** The prefix of the line a child prints its result on. */
export const CHILD_MARK = "BENCH_RESULT ";

/** What a child process left: its marked JSON (null if none), peak GPU memory, its output. */
export interface ChildOutcome {
  parsed: Record<string, unknown> | null;
  peakGpuBytes: number | null;
  log: string;
}

/** The last `n` characters of a log on one line. */
export const logTail = (s: string, n = 600): string => s.trim().slice(-n).replace(/\s+/g, " ");

/** Runs a command, samples GPU memory meanwhile, returns the marked JSON line and the peak. */
export async function runMarkedChild(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<ChildOutcome> {
  const sampler = sampleGpuMemory();
  let out = "";
  try {
    const { stdout, stderr } = await new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { PYTHONUNBUFFERED: "1" },
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  } catch (e) {
    out = `child failed: ${(e as Error).message}`;
  }
  const peakGpuBytes = await sampler.stop();
  const line = out.split("\n").find((l) => l.startsWith(CHILD_MARK));
  return {
    parsed: line ? JSON.parse(line.slice(CHILD_MARK.length)) : null,
    peakGpuBytes,
    log: out,
  };
}

/** `deno run` arguments of a child: `build` one forge folder, or `run` one case or lever. */
export function childDenoArgs(kind: "build" | "run", spec: unknown): string[] {
  return [
    "run",
    "-A",
    ...kitConfig().bench.denoFlags,
    new URL("./_gpu_child.ts", import.meta.url).pathname,
    kind,
    JSON.stringify(spec),
  ];
}

/**
 * Builds one forge folder (several build side by side, one process each). The forge's
 * random-weight models have no end of text: eos_token_id is removed from the copies' configs
 * so every run generates exactly the tokens asked for.
 */
export async function buildGpuFolder(job: BuildJob): Promise<{ seconds: number }> {
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
  return { seconds: (performance.now() - t) / 1000 };
}

/** What a run child gets: a case of the plan, or a lever, with its options. */
export type RunSpec =
  | { case: GpuBenchCase; opts: KitRunOptions; lever?: undefined }
  | { lever: Lever; opts: LeverRunOptions };

/** Runs one case or lever; a failure becomes a result that says why (never a throw). */
export async function runGpuSpec(spec: RunSpec): Promise<unknown> {
  try {
    return spec.lever
      ? await runLever(spec.lever, spec.opts)
      : await runKitCaseProfiled(spec.case, spec.opts);
  } catch (e) {
    const error = String((e as Error).message ?? e);
    return spec.lever
      ? { lever: spec.lever.name, ok: false, error }
      : failedResult(spec.case, error);
  }
}
