/**
 * Internal: one fresh process of the benchmarks. Loads one model with each runner (the kit's
 * Optimized backend and/or raw onnxruntime-node sessions with given options), generates
 * greedily, the runners taking turns round after round so that all see the same machine
 * noise, optionally measures memory bandwidth afterwards in the same process, and prints one
 * JSON line ({@link WorkerReport}).
 */
import { AutoTokenizer, PreTrainedTokenizer } from "@huggingface/transformers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createOptimizedBackend } from "../methods/optimized/backend.ts";
import {
  type LlamaCppBackend,
  llamaCppBackend,
} from "../methods/ollama/standin/llama_cpp_backend.ts";
import type { TransformersBackend } from "../methods/hf/hf_backend.ts";
import { configureTransformers, DTYPE_FILES } from "../methods/hf/transformers.ts";
import { resolveModel } from "../methods/hf/catalogue.ts";
import { currentRssBytes, peakRssBytes, resetPeakRss } from "../measure/rss.ts";
import { measureOrtBandwidth, type Ort } from "./bandwidth.ts";
import { rawGreedyDecode } from "./raw_decode.ts";
import { rssSplit } from "../measure/rss.ts";
import { loadOrt } from "./_ort.ts";
import { cpuSample, othersLoad, waitForQuiet } from "./cpu_load.ts";
import {
  KIT_SESSION_OPTIONS,
  type Runner,
  type WorkerArgs,
  type WorkerReport,
  type WorkerRun,
} from "./worker_protocol.ts";

const args = JSON.parse(Deno.args[0]) as WorkerArgs;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const report: WorkerReport = {
  baselineRssBytes: currentRssBytes(),
  loadMs: {},
  loadedRss: { rss: 0, anon: 0, file: 0 },
  loadPeakRssBytes: 0,
  generatePeakRssBytes: 0,
  runs: [],
  bandwidth: [],
};

// The ids the kit generated: its streamer decodes all generated ids after every token, so
// the last decode call of a run holds them. Keeping the reference costs nothing measurable.
let lastDecoded: unknown[] = [];
const decode = PreTrainedTokenizer.prototype.decode;
PreTrainedTokenizer.prototype.decode = function (ids, opts) {
  if (Array.isArray(ids)) lastDecoded = ids;
  return decode.call(this, ids, opts);
};

const config = JSON.parse(readFileSync(join(args.modelDir, "config.json"), "utf8"));
const generation = JSON.parse(readFileSync(join(args.modelDir, "generation_config.json"), "utf8"));
let ort: Ort = null;
let promptIds: number[] = [];

interface Loaded {
  runner: Runner;
  kit?: TransformersBackend | LlamaCppBackend;
  // deno-lint-ignore no-explicit-any
  session?: any;
}
const loaded: Loaded[] = [];
for (const runner of args.runners) {
  if (runner.impl === "llama.cpp") {
    const kit = await llamaCppBackend({
      modelPath: runner.ggufPath,
      threads: runner.threads ?? navigator.hardwareConcurrency,
      contextSize: 1024,
    });
    report.loadMs[runner.label] = kit.loadMs;
    loaded.push({ runner, kit });
    continue;
  }
  if (runner.impl === "kit") {
    const kit = await createOptimizedBackend({
      model: runner.modelDir ?? args.modelDir,
      dtype: args.dtype,
      threads: runner.threads,
    });
    report.loadMs[runner.label] = kit.loadMs;
    loaded.push({ runner, kit });
    continue;
  }
  if (!ort) {
    ort = await loadOrt();
    const resolved = await resolveModel(args.modelDir);
    configureTransformers(resolved);
    const tokenizer = await AutoTokenizer.from_pretrained(resolved.id);
    // The kit's backend calls tokenizer(prompt) with its default special tokens: same here.
    // deno-lint-ignore no-explicit-any
    promptIds = Array.from((tokenizer(args.prompt) as any).input_ids.data as bigint[], Number);
  }
  const started = performance.now();
  const session = await ort.InferenceSession.create(
    join(args.modelDir, "onnx", args.onnxFile ?? DTYPE_FILES[args.dtype]),
    runner.sessionOptions ?? KIT_SESSION_OPTIONS,
  );
  report.loadMs[runner.label] = performance.now() - started;
  loaded.push({ runner, session });
}
gc();
report.loadPeakRssBytes = peakRssBytes();
report.loadedRss = rssSplit();
resetPeakRss();

const every = args.rssEvery ?? 32;
const sample = (rss: [number, number][], n: number) => {
  if (n % every !== 0) return;
  gc();
  rss.push([n, currentRssBytes()]);
};

async function runKit(
  kit: TransformersBackend | LlamaCppBackend,
  label: string,
  round: number,
): Promise<WorkerRun> {
  const stream = kit.stream(args.prompt, { maxTokens: args.maxTokens, timeoutMs: 30 * 60_000 });
  const tokenAt: number[] = [];
  const rss: [number, number][] = [];
  for await (const _ of stream) {
    if (!args.trace) continue;
    tokenAt.push(performance.now());
    sample(rss, tokenAt.length);
  }
  const result = await stream.result;
  const llama = "engine" in kit;
  return {
    label,
    impl: llama ? "llama.cpp" : "kit",
    round,
    tokensPerSecond: result.timings.tokensPerSecond,
    ttftMs: result.timings.ttftMs,
    promptTokens: result.tokensIn,
    ids: llama ? [] : lastDecoded.map(Number),
    text: result.text,
    ...(args.trace ? { tokenAt, rss } : {}),
  };
}

// deno-lint-ignore no-explicit-any
async function runRaw(session: any, runner: Runner, round: number): Promise<WorkerRun> {
  const rss: [number, number][] = [];
  const r = await rawGreedyDecode(ort, session, config, {
    promptIds,
    maxNewTokens: args.maxTokens,
    eosTokenId: generation.eos_token_id,
    onToken: args.trace ? (i) => sample(rss, i + 1) : undefined,
    staticKv: runner.staticKv,
  });
  return {
    label: runner.label,
    impl: "raw",
    round,
    tokensPerSecond: r.tokensPerSecond,
    ttftMs: r.tokenAt.length ? r.tokenAt[0] - r.startedAt : null,
    promptTokens: promptIds.length,
    ids: r.ids,
    ...(args.trace ? { tokenAt: r.tokenAt, rss } : {}),
  };
}

for (let round = 0; round < (args.repeats ?? 1); round++) {
  // Alternate the order, so that no runner always follows the same other one.
  const order = round % 2 ? [...loaded].reverse() : loaded;
  for (const { runner, kit, session } of order) {
    gc();
    const quietBefore = args.waitForQuiet === false ? null : await waitForQuiet();
    const a = cpuSample();
    const run = await (kit ? runKit(kit, runner.label, round) : runRaw(session, runner, round));
    const b = cpuSample();
    report.runs.push({ ...run, quietBefore, othersLoad: a && b ? othersLoad(a, b) : null });
  }
}
report.generatePeakRssBytes = peakRssBytes();

if (args.bandwidth) {
  ort ??= await loadOrt();
  for (const threads of [...new Set([navigator.hardwareConcurrency, 1])]) {
    for (const op of ["reducesum", "gemv"] as const) {
      report.bandwidth.push(
        await measureOrtBandwidth(ort, { threads, op, bytes: args.bandwidthBytes }),
      );
      gc();
    }
  }
}

console.log(JSON.stringify(report));
for (const { kit, session } of loaded) {
  await kit?.close();
  await session?.release();
}
