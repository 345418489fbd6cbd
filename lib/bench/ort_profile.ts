/**
 * onnxruntime's profiling output (session option `enableProfiling`) summarized by operator:
 * where a decode step's time goes. The profile is a Chrome-trace JSON array; each
 * `model_run` event (category "Session") is one session run, each "Node" event named
 * `<node>_kernel_time` is one kernel with its operator in `args.op_name`. On a GPU
 * execution provider a kernel's time is what the host spends encoding and dispatching it,
 * not the GPU's execution time.
 *
 * @module
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** One operator's share of the decode steps. */
export interface OpTime {
  op: string;
  /** Kernels of this operator per decode step. */
  callsPerStep: number;
  /** Microseconds per decode step. */
  usPerStep: number;
  /** Of the kernels' total time. */
  share: number;
}

/** A profile's decode steps, by operator. */
export interface ProfileSummary {
  /** Session runs seen, and of them the decode steps (one new token each). */
  runs: number;
  decodeSteps: number;
  /** Mean wall time of a decode step's session run, µs. */
  stepUs: number;
  /** Mean time inside kernels per decode step, µs, and its fraction of the step. */
  kernelUs: number;
  kernelFraction: number;
  /** Kernels per decode step. */
  kernelsPerStep: number;
  /** Operators by time, largest first. */
  ops: OpTime[];
}

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string };
}

/**
 * Summarizes the decode steps of a profile: runs whose duration is under 4× the median run
 * (prefill runs of a long prompt are far longer and are left out).
 *
 * @example
 * ```ts
 * summarizeProfile(JSON.parse(readFileSync("onnxruntime_profile.json", "utf8"))).ops[0];
 * ```
 */
export function summarizeProfile(events: TraceEvent[]): ProfileSummary {
  const runs = events
    .filter((e) => e.cat === "Session" && e.name === "model_run" && e.dur !== undefined)
    .sort((a, b) => a.ts! - b.ts!);
  const durations = runs.map((r) => r.dur!).sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)] ?? 0;
  const decode = runs.filter((r) => r.dur! < 4 * median);
  const kernels = events
    .filter((e) => e.cat === "Node" && e.name?.endsWith("_kernel_time") && e.dur !== undefined)
    .sort((a, b) => a.ts! - b.ts!);
  const byOp = new Map<string, { calls: number; us: number }>();
  let kernelUs = 0;
  let kernelCount = 0;
  let k = 0;
  for (const run of decode) {
    const end = run.ts! + run.dur!;
    while (k < kernels.length && kernels[k].ts! < run.ts!) k++;
    for (let j = k; j < kernels.length && kernels[j].ts! <= end; j++) {
      const e = kernels[j];
      const op = e.args?.op_name ?? "?";
      const entry = byOp.get(op) ?? { calls: 0, us: 0 };
      entry.calls++;
      entry.us += e.dur!;
      byOp.set(op, entry);
      kernelUs += e.dur!;
      kernelCount++;
    }
  }
  const n = Math.max(decode.length, 1);
  const stepUs = decode.reduce((s, r) => s + r.dur!, 0) / n;
  const ops = [...byOp.entries()]
    .map(([op, v]) => ({
      op,
      callsPerStep: v.calls / n,
      usPerStep: v.us / n,
      share: kernelUs ? v.us / kernelUs : 0,
    }))
    .sort((a, b) => b.usPerStep - a.usPerStep);
  return {
    runs: runs.length,
    decodeSteps: decode.length,
    stepUs,
    kernelUs: kernelUs / n,
    kernelFraction: stepUs ? kernelUs / n / stepUs : 0,
    kernelsPerStep: kernelCount / n,
    ops,
  };
}

/**
 * Reads and removes the profile files onnxruntime wrote for `prefix` (it appends a date and
 * .json), and summarizes them together; null when there is none.
 */
export function collectProfile(prefix: string): ProfileSummary | null {
  const dir = dirname(prefix);
  const files = readdirSync(dir).filter((f) =>
    f.startsWith(basename(prefix)) && f.endsWith(".json")
  );
  if (!files.length) return null;
  const events: TraceEvent[] = [];
  for (const f of files) {
    events.push(...JSON.parse(readFileSync(join(dir, f), "utf8")));
    rmSync(join(dir, f));
  }
  return summarizeProfile(events);
}
