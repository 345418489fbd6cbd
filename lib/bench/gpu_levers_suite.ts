/**
 * The decode levers of the GPU benchmark (lib/bench/gpu_levers.ts) run one by one, each in
 * its own process, on the fused q4f16 model of the plan's first preset and a 2-layer copy, with
 * node counts after onnxruntime's optimizations.
 * Run by lib/bench/gpu_reference.ts; `deno task bench-gpu --levers a,b` selects some.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ForgeDtype } from "../forge/mod.ts";
import type { Dtype } from "../measure/memory.ts";
import { type Lever, type LeverResult, LEVERS } from "./gpu_levers.ts";
import { logTail } from "./gpu_child.ts";

/** What the lever suite needs from the benchmark's driver. */
export interface LeverSuiteContext {
  preset: string;
  modelsDir: string;
  prompt: { text: string; ids: number[] };
  newTokens: number;
  only?: string[];
  /** Builds (or reuses) a model folder of the fused graph. */
  model: (preset: string, dtypes: ForgeDtype[], layers?: number) => Promise<string>;
  /** Runs a child process; returns its marked JSON line and log. */
  runChild: (
    cmd: string,
    args: string[],
  ) => Promise<{ parsed: Record<string, unknown> | null; log: string }>;
  denoArgs: (spec: unknown) => string[];
  /** Rounds: each lever runs once per round, rounds interleaved. */
  rounds: number;
  levers: (LeverResult & { description?: string })[];
  nodeCounts: Record<string, unknown>;
  save: () => void;
}

/** Node counts by op type of an ONNX file, read with Python's onnx (null if unavailable). */
export async function countNodes(path: string): Promise<Record<string, number> | null> {
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

/**
 * Runs the levers (all, or `ctx.only`) on the fused q4f16 graph of `ctx.preset` (the kit's GPU
 * format), plus {@link TWO_LAYER_LEVERS} on a 2-layer copy, `ctx.rounds` interleaved rounds;
 * each lever's median round is kept.
 */
/** The levers also measured on a 2-layer copy (the cost that does not grow with depth). */
const TWO_LAYER_LEVERS = ["tjs-default", "tjs-validation-off-pending-256", "raw-kv-gpu"];

/**
 * One lever's rounds as one result: the median round's figures, every round's decode tok/s
 * in `rounds` (an errored round makes the lever errored).
 *
 * @example
 * ```ts
 * leverMedian([{ lever: "x", model: "m", ok: true, decodeTokensPerSecond: 3 },
 *   { lever: "x", model: "m", ok: true, decodeTokensPerSecond: 1 },
 *   { lever: "x", model: "m", ok: true, decodeTokensPerSecond: 2 }]).decodeTokensPerSecond; // 2
 * ```
 */
export function leverMedian(results: LeverResult[]): LeverResult {
  const failed = results.find((r) => !r.ok);
  if (failed) return failed;
  const sorted = [...results].sort(
    (a, b) => (a.decodeTokensPerSecond ?? 0) - (b.decodeTokensPerSecond ?? 0),
  );
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)],
    rounds: results.map((r) => r.decodeTokensPerSecond ?? null),
  };
}

export async function runLeverSuite(ctx: LeverSuiteContext): Promise<void> {
  const dtype: Dtype = "q4f16";
  const full = await ctx.model(ctx.preset, [dtype]);
  const twoLayers = (l: Lever): Lever => ({ ...l, name: `${l.name}-2-layers` });
  const all: Lever[] = [
    ...LEVERS,
    ...LEVERS.filter((l) => TWO_LAYER_LEVERS.includes(l.name)).map(twoLayers),
  ];
  const runs: [Lever, string][] = [];
  for (const lever of all.filter((l) => !ctx.only || ctx.only.includes(l.name))) {
    runs.push([
      lever,
      lever.name.endsWith("-2-layers") ? await ctx.model(ctx.preset, [dtype], 2) : full,
    ]);
  }
  // Interleaved rounds: every lever once per round, so drift hits all alike.
  const perLever = new Map<string, LeverResult[]>();
  for (let round = 1; round <= ctx.rounds; round++) {
    for (const [lever, dir] of runs) {
      const optimized = lever.path === "raw" && round === 1
        ? join(ctx.modelsDir, `optimized-${lever.name}.onnx`)
        : undefined;
      const opts = {
        dir,
        dtype,
        promptIds: ctx.prompt.ids,
        prompt: ctx.prompt.text,
        newTokens: ctx.newTokens,
        optimizedModelPath: optimized,
      };
      const { parsed, log } = await ctx.runChild(Deno.execPath(), ctx.denoArgs({ lever, opts }));
      const r =
        (parsed ?? { lever: lever.name, ok: false, error: logTail(log) }) as unknown as LeverResult;
      perLever.set(lever.name, [...(perLever.get(lever.name) ?? []), r]);
      if (optimized && existsSync(optimized)) {
        ctx.nodeCounts[lever.name] = await countNodes(optimized);
      }
      console.log(
        `${lever.name} (ronda ${round}): ` +
          (r.ok
            ? `${r.decodeTokensPerSecond?.toFixed(1)} tok/s (${r.msPerToken?.toFixed(2)} ms/token)`
            : `error: ${r.error?.slice(0, 300)}`),
      );
    }
  }
  for (const [lever] of runs) {
    ctx.levers.push({
      ...leverMedian(perLever.get(lever.name)!),
      description: lever.description,
    });
  }
  // Greedy tokens of the full model, each lever against the growing-cache raw loop's.
  const ref = ctx.levers.find((l) => l.lever === "raw-kv-gpu")?.ids;
  for (const l of ctx.levers.filter((l) => l.ids && !l.lever.endsWith("-2-layers"))) {
    const same = ref ? l.ids!.filter((id, i) => id === ref[i]).length : null;
    console.log(`${l.lever}: ${same ?? "?"} of ${l.ids!.length} tokens equal to raw-kv-gpu's`);
  }
  ctx.save();
  ctx.nodeCounts["forge fused graph (q4f16)"] = await countNodes(
    join(full, "onnx", "model_q4f16.onnx"),
  );
}
