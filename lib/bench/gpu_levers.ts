/**
 * What limits decode on webgpu, and which of the runtime's levers move it. Each lever is one
 * decode measurement (short prompt, many new tokens) on the same model, in its own process
 * (onnxruntime keeps one WebGPU device per process, created with the first session's
 * options):
 *
 * - transformers.js as the kit runs it, with onnxruntime's WebGPU options varied: Dawn's
 *   validation off, more dispatches per command buffer, both;
 * - a raw onnxruntime session with the KV cache kept as GPU buffers (what transformers.js does
 *   for webgpu): the cost of the library above the runtime;
 * - the same raw loop with graph optimizations at "basic" instead of "all";
 * - a static KV cache with every decode input and output in a fixed GPU buffer
 *   (lib/bench/gpu_capture.ts), without and with WebGPU graph capture.
 *
 * Graph capture (ep.webgpuexecutionprovider.enableGraphCapture=1) on the growing-cache raw loop
 * was tried on the H200 (2026-12-02, one run): 95.8 tok/s against 106.6 without. onnxruntime
 * replays a captured graph without reading its feeds (its inputs must sit in the buffers bound
 * when it was captured) and needs fixed shapes; the growing cache changes both every step.
 * The static-KV levers give it what it needs; onnxruntime-node 1.30 has no run option to skip
 * capture for the prompt (gpu_graph_id), hence a second session for the prompt. The fixed-buffer
 * loop is checked on the CPU (tests/forge_fused_test.ts); its webgpu runs are not measured yet.
 *
 * Validation off with 256 dispatches per command buffer: medians of three interleaved rounds
 * (H200, 2026-12-02) 158.7 tok/s against 157.2 with the defaults (rounds spread ±10 %), 350.7
 * against 335.2 on two layers — no gain beyond the noise, so the kit keeps onnxruntime's
 * defaults.
 *
 * @module
 */
import { AutoModelForCausalLM, AutoTokenizer, env } from "@huggingface/transformers";
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { generationSettings, makeTransformersBackend } from "../methods/hf/hf_backend.ts";
import { DTYPE_FILES } from "../methods/hf/transformers.ts";
import type { Dtype } from "../measure/memory.ts";
import { capturedGreedyDecode } from "./gpu_capture.ts";
import { type RawDecodeResult, rawGreedyDecode } from "./raw_decode.ts";

/** One lever: how the session is made. */
export interface Lever {
  name: string;
  /** What it changes (English, for the benchmark's report). */
  description: string;
  /**
   * "tjs": the kit's transformers.js path; "raw": a bare onnxruntime session; "static": a bare
   * session with a static KV cache and fixed GPU buffers (lib/bench/gpu_capture.ts).
   */
  path: "tjs" | "raw" | "static";
  /** "static" only: record the decode step once and replay it (WebGPU graph capture). */
  capture?: boolean;
  /** Extra onnxruntime session options. */
  sessionOptions?: Record<string, unknown>;
}

const ep = (options: Record<string, string>) => ({
  extra: { ep: { webgpuexecutionprovider: options } },
});

/** Dawn's validation off and 256 dispatches per command buffer together. */
const VALIDATION_OFF_PENDING_256 = {
  executionProviders: [{ name: "webgpu", validationMode: "disabled" }],
  ...ep({ maxNumPendingDispatches: "256" }),
};

/** The levers tried, in order (on the forge's fused graph, the kit's GPU default). */
export const LEVERS: Lever[] = [
  { name: "tjs-default", description: "transformers.js defaults for webgpu", path: "tjs" },
  {
    name: "tjs-validation-off",
    description: "Dawn validation disabled (validationMode: disabled)",
    path: "tjs",
    sessionOptions: { executionProviders: [{ name: "webgpu", validationMode: "disabled" }] },
  },
  {
    name: "tjs-pending-256",
    description: "256 dispatches per command buffer (maxNumPendingDispatches)",
    path: "tjs",
    sessionOptions: ep({ maxNumPendingDispatches: "256" }),
  },
  {
    name: "tjs-validation-off-pending-256",
    description: "validation off + 256 dispatches per command buffer",
    path: "tjs",
    sessionOptions: VALIDATION_OFF_PENDING_256,
  },
  {
    name: "raw-kv-gpu",
    description: "bare session, KV cache as GPU buffers (IO binding)",
    path: "raw",
  },
  {
    name: "raw-kv-gpu-fast",
    description: "bare session, KV on GPU, validation off + 256 dispatches per command buffer",
    path: "raw",
    sessionOptions: VALIDATION_OFF_PENDING_256,
  },
  {
    name: "raw-opt-basic",
    description: "bare session, KV on GPU, graph optimizations 'basic' (no fusions)",
    path: "raw",
    sessionOptions: { graphOptimizationLevel: "basic" },
  },
  {
    name: "raw-static-kv-gpu",
    description:
      "bare session, static KV cache, every decode input and output in a fixed GPU buffer",
    path: "static",
  },
  {
    name: "raw-static-kv-capture",
    description: "the same, decode step recorded once and replayed (WebGPU graph capture)",
    path: "static",
    capture: true,
  },
];

/** What one lever measured. */
export interface LeverResult {
  lever: string;
  model: string;
  ok: boolean;
  error?: string;
  loadMs?: number;
  decodeTokensPerSecond?: number | null;
  msPerToken?: number | null;
  prefillTokensPerSecond?: number | null;
  newTokens?: number;
  /** The first 32 new token ids (to compare levers: they decode the same model greedily). */
  ids?: number[];
  /** "static" levers: the largest logit of the first 32 steps (stale replays repeat them). */
  maxLogits?: number[];
  /** Decode tok/s of every round (the suite's median result only). */
  rounds?: (number | null)[];
  /** Nodes after onnxruntime's optimizations (raw levers; counted by the caller). */
  optimizedModelPath?: string;
}

/** Options of {@link runLever}. */
export interface LeverRunOptions {
  dir: string;
  dtype: Dtype;
  promptIds: number[];
  prompt: string;
  newTokens: number;
  /** Raw levers write the optimized graph here (for node counting). */
  optimizedModelPath?: string;
}

/** A bare decode loop's figures (raw_decode.ts or gpu_capture.ts), as a lever reports them. */
function loopFigures(r: RawDecodeResult, promptTokens: number) {
  return {
    ok: true,
    prefillTokensPerSecond: (promptTokens * 1000) / (r.tokenAt[0] - r.startedAt),
    newTokens: r.ids.length,
    decodeTokensPerSecond: r.tokensPerSecond,
    msPerToken: r.tokensPerSecond ? 1000 / r.tokensPerSecond : null,
    ids: r.ids.slice(0, 32),
  };
}

/** Runs one lever on webgpu: load, warm up, measure decode. */
export async function runLever(lever: Lever, opts: LeverRunOptions): Promise<LeverResult> {
  const base = { lever: lever.name, model: basename(opts.dir) };
  const started = performance.now();
  if (lever.path === "static") {
    const { default: ort } = await import("onnxruntime-node");
    const config = JSON.parse(readFileSync(join(opts.dir, "config.json"), "utf8"));
    const run = (n: number) =>
      capturedGreedyDecode(ort, join(opts.dir, "onnx", DTYPE_FILES[opts.dtype]), config, {
        promptIds: opts.promptIds,
        maxNewTokens: n,
        capture: lever.capture ?? false,
        sessionOptions: lever.sessionOptions,
      });
    await run(4);
    const r = await run(opts.newTokens);
    return {
      ...base,
      ...loopFigures(r, opts.promptIds.length),
      maxLogits: r.maxLogits.slice(0, 32).map((x) => Math.round(x * 1000) / 1000),
    };
  }
  if (lever.path === "raw") {
    // The version transformers.js 4.3.1 pins (deno.json's import map).
    const { default: ort } = await import("onnxruntime-node");
    const config = JSON.parse(readFileSync(join(opts.dir, "config.json"), "utf8"));
    const outputs = Array.from({ length: config.num_hidden_layers }, (_, i) => [
      `present.${i}.key`,
      `present.${i}.value`,
    ]).flat();
    const session = await ort.InferenceSession.create(
      join(opts.dir, "onnx", DTYPE_FILES[opts.dtype]),
      {
        executionProviders: ["webgpu"],
        preferredOutputLocation: Object.fromEntries(
          outputs.map((n) => [n, "gpu-buffer"]),
        ),
        ...(opts.optimizedModelPath ? { optimizedModelFilePath: opts.optimizedModelPath } : {}),
        ...lever.sessionOptions,
      },
    );
    const loadMs = performance.now() - started;
    const run = (n: number) =>
      rawGreedyDecode(ort, session, config, { promptIds: opts.promptIds, maxNewTokens: n });
    await run(4);
    const r = await run(opts.newTokens);
    await session.release();
    return {
      ...base,
      ...loopFigures(r, opts.promptIds.length),
      loadMs,
      optimizedModelPath: opts.optimizedModelPath,
    };
  }
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = dirname(opts.dir) + "/";
  const id = basename(opts.dir);
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const model = await AutoModelForCausalLM.from_pretrained(id, {
    dtype: opts.dtype,
    device: "webgpu",
    // deno-lint-ignore no-explicit-any
    session_options: { ...lever.sessionOptions } as any,
  });
  const loadMs = performance.now() - started;
  const backend = makeTransformersBackend({
    name: lever.name,
    method: 2,
    mode: "offline",
    model: id,
    dtype: opts.dtype,
    device: "webgpu",
    loadMs,
    // deno-lint-ignore no-explicit-any
    decoder: tokenizer as any,
    run: (prompt, genOpts, streamer, stop) =>
      // deno-lint-ignore no-explicit-any
      (model as any).generate({
        // deno-lint-ignore no-explicit-any
        ...(tokenizer(prompt as string) as any),
        ...generationSettings(genOpts),
        streamer,
        stopping_criteria: [stop],
      }),
    dispose: () => model.dispose(),
  });
  try {
    await backend.generate(opts.prompt, { maxTokens: 4, timeoutMs: 300_000 });
    const r = await backend.generate(opts.prompt, {
      maxTokens: opts.newTokens,
      timeoutMs: 300_000,
    });
    const tps = r.timings.tokensPerSecond;
    return {
      ...base,
      ok: true,
      loadMs,
      prefillTokensPerSecond: r.timings.ttftMs ? (r.tokensIn * 1000) / r.timings.ttftMs : null,
      newTokens: r.tokensOut,
      decodeTokensPerSecond: tps,
      msPerToken: tps ? 1000 / tps : null,
    };
  } finally {
    await backend.close();
  }
}
