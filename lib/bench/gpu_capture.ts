/**
 * Greedy decode on webgpu with every per-token input in a fixed GPU buffer, so that
 * onnxruntime's WebGPU graph capture can record one decode step and replay it (no kernel
 * launches from the CPU). onnxruntime replays a captured graph without reading its feeds, and
 * onnxruntime-node has no way to write CPU data into a GPU buffer; so two small helper
 * sessions do the copies on the same device:
 *
 * - "upload" (Identity nodes): this step's input_ids, attention_mask (and position_ids) from
 *   the CPU into GPU buffers bound as its outputs, the same buffers every step;
 * - "argmax" (ArgMax, ReduceMax): the next token and its logit from the GPU logits, 16 bytes
 *   back to the CPU instead of the vocabulary's logits.
 *
 * The prompt runs on a second session of the same model without capture (a captured graph
 * has one shape), writing the static KV cache (one buffer per layer, prompt + new tokens
 * long, GroupQueryAttention's shared past/present buffer) that the decode session then reads
 * and writes in place. Only graphs built on GroupQueryAttention (the forge's fused graph) can
 * run this way. A measurement lever of the GPU benchmark (lib/bench/gpu_levers.ts), not a
 * kit path: the decode session holds a second copy of the weights.
 *
 * @module
 */
import { join } from "node:path";
import { DataType, type DataTypeId, encodeModel } from "../forge/onnx_proto.ts";
import type { Ort } from "./bandwidth.ts";
import {
  argmaxRange,
  type DecoderShape,
  decodeTokensPerSecond,
  int64,
  kvElementType,
  staticMask,
  zeroKv,
} from "./raw_decode.ts";

/** Options of {@link capturedGreedyDecode}. */
export interface CapturedDecodeOptions {
  promptIds: number[];
  maxNewTokens: number;
  /** Record and replay the decode step (ep.webgpuexecutionprovider.enableGraphCapture). */
  capture: boolean;
  /**
   * "webgpu" (default), or "cpu": the same loop with CPU buffers (no capture), which tests
   * check against the growing-cache raw loop on machines without a GPU.
   */
  device?: "webgpu" | "cpu";
  /** Extra session options of the decode session. */
  sessionOptions?: Record<string, unknown>;
}

/** What {@link capturedGreedyDecode} measured. */
export interface CapturedDecodeResult {
  ids: number[];
  /** The largest logit of every step (a replay that reads stale buffers repeats them). */
  maxLogits: number[];
  tokenAt: number[];
  startedAt: number;
  tokensPerSecond: number | null;
}

/** The upload graph: one Identity per name, `name` → `name_gpu`. */
function uploadModel(inputs: { name: string; shape: (number | string)[] }[]): Uint8Array {
  return encodeModel({
    graphName: "upload",
    nodes: inputs.map(({ name }) => ({
      op: "Identity",
      inputs: [name],
      outputs: [`${name}_gpu`],
      name: `copy_${name}`,
    })),
    initializers: [],
    inputs: inputs.map(({ name, shape }) => ({ name, dataType: DataType.INT64, shape })),
    outputs: inputs.map(({ name, shape }) => ({
      name: `${name}_gpu`,
      dataType: DataType.INT64,
      shape,
    })),
    opsets: { "": 17 },
    irVersion: 8,
    producer: "kit-bench",
  });
}

/** The argmax graph: logits [1, 1, vocab] → next [1, 1] (int64), max [1, 1] (float32). */
function argmaxModel(logitsType: DataTypeId, vocab: number): Uint8Array {
  return encodeModel({
    graphName: "argmax",
    nodes: [
      {
        op: "ArgMax",
        inputs: ["logits"],
        outputs: ["next"],
        name: "argmax",
        attrs: { axis: { i: 2 }, keepdims: { i: 0 } },
      },
      {
        op: "ReduceMax",
        inputs: ["logits"],
        outputs: ["max_h"],
        name: "max",
        attrs: { axes: { ints: [2] }, keepdims: { i: 0 } },
      },
      { op: "Cast", inputs: ["max_h"], outputs: ["max"], name: "cast", attrs: { to: { i: 1 } } },
    ],
    initializers: [],
    inputs: [{ name: "logits", dataType: logitsType, shape: [1, 1, vocab] }],
    outputs: [
      { name: "next", dataType: DataType.INT64, shape: [1, 1] },
      { name: "max", dataType: DataType.FLOAT, shape: [1, 1] },
    ],
    opsets: { "": 17 },
    irVersion: 8,
    producer: "kit-bench",
  });
}

/**
 * Greedy decoding of `modelPath` on webgpu with a static KV cache and fixed GPU buffers for
 * every decode input and output; with `capture`, onnxruntime records the decode step once and
 * replays it.
 *
 * @example
 * ```ts
 * const ort = await loadOrt(); // lib/bench/_ort.ts
 * const r = await capturedGreedyDecode(ort, "onnx/model_q4f16.onnx", config,
 *   { promptIds: [1, 5], maxNewTokens: 64, capture: true });
 * ```
 */
export async function capturedGreedyDecode(
  ort: Ort,
  modelPath: string,
  shape: DecoderShape & { vocab_size: number },
  opts: CapturedDecodeOptions,
): Promise<CapturedDecodeResult> {
  const layers = shape.num_hidden_layers;
  const kvHeads = shape.num_key_value_heads ?? shape.num_attention_heads;
  const headDim = shape.head_dim ?? shape.hidden_size / shape.num_attention_heads;
  const capacity = opts.promptIds.length + opts.maxNewTokens;
  const present = Array.from({ length: layers }, (_, i) => [
    `present.${i}.key`,
    `present.${i}.value`,
  ]).flat();
  const device = opts.device ?? "webgpu";
  if (opts.capture && device !== "webgpu") throw new Error("graph capture needs webgpu");
  const webgpu = { executionProviders: [device] };
  /** Session options that leave these outputs on the GPU. */
  const gpu = (names: string[]) =>
    device === "webgpu"
      ? { preferredOutputLocation: Object.fromEntries(names.map((n) => [n, "gpu-buffer"])) }
      : {};
  const capture = { extra: { ep: { webgpuexecutionprovider: { enableGraphCapture: "1" } } } };
  // deno-lint-ignore no-explicit-any
  const sessions: any[] = [];
  const open = async (path: string, options: Record<string, unknown>) => {
    const session = await ort.InferenceSession.create(path, options);
    sessions.push(session);
    return session;
  };
  const dir = await Deno.makeTempDir({ prefix: "kit-capture-" });
  try {
    const prefill = await open(modelPath, { ...webgpu, ...gpu(present) });
    const decode = await open(modelPath, {
      ...webgpu,
      ...gpu(["logits", ...present]),
      ...(opts.capture ? capture : {}),
      ...opts.sessionOptions,
    });
    const names = new Set<string>(decode.inputNames);
    const kvType = kvElementType(decode);
    const stepInputs = [
      { name: "input_ids", shape: [1, 1] },
      { name: "attention_mask", shape: [1, capacity] },
      ...(names.has("position_ids") ? [{ name: "position_ids", shape: [1, 1] }] : []),
    ];
    await Deno.writeFile(join(dir, "upload.onnx"), uploadModel(stepInputs));
    const logitsType = kvType === "float16" ? DataType.FLOAT16 : DataType.FLOAT;
    await Deno.writeFile(join(dir, "argmax.onnx"), argmaxModel(logitsType, shape.vocab_size));
    const upload = await open(join(dir, "upload.onnx"), {
      ...webgpu,
      ...gpu(stepInputs.map((s) => `${s.name}_gpu`)),
    });
    const argmax = await open(join(dir, "argmax.onnx"), webgpu);

    const mask = (seen: number) => staticMask(ort, seen, capacity);
    const ids: number[] = [];
    const maxLogits: number[] = [];
    const tokenAt: number[] = [];
    const startedAt = performance.now();

    // The prompt: CPU zeros of the full length in, the static cache out on the GPU.
    const s = opts.promptIds.length;
    const feeds: Record<string, unknown> = {
      input_ids: int64(ort, opts.promptIds, [1, s]),
      attention_mask: mask(s),
    };
    if (names.has("position_ids")) {
      feeds.position_ids = int64(ort, Array.from({ length: s }, (_, j) => j), [1, s]);
    }
    for (let i = 0; i < layers; i++) {
      for (const kv of ["key", "value"]) {
        feeds[`past_key_values.${i}.${kv}`] = zeroKv(ort, kvType, kvHeads, capacity, headDim);
      }
    }
    const first = await prefill.run(feeds);
    const cache: Record<string, unknown> = {};
    for (let i = 0; i < layers; i++) {
      for (const kv of ["key", "value"]) {
        const t = first[`present.${i}.${kv}`];
        if (t.dims[2] !== capacity) {
          throw new Error(
            `present.${i}.${kv} has ${t.dims[2]} positions, not ${capacity}: the graph's ` +
              "cache is not static (no GroupQueryAttention?)",
          );
        }
        cache[`past_key_values.${i}.${kv}`] = t;
        cache[`present.${i}.${kv}`] = t;
      }
    }
    const vocab = first.logits.dims[2];
    let next = argmaxRange(first.logits.data, (s - 1) * vocab, vocab);
    ids.push(next);
    maxLogits.push(Number(first.logits.data[(s - 1) * vocab + next]));
    tokenAt.push(performance.now());

    // Every decode step: upload into the fixed buffers, run (or replay), read the argmax.
    let bound: Record<string, unknown> | null = null;
    let logits: unknown = null;
    for (let seen = s; ids.length < opts.maxNewTokens; seen++) {
      const stepFeeds: Record<string, unknown> = {
        input_ids: int64(ort, [next], [1, 1]),
        attention_mask: mask(seen + 1),
      };
      if (names.has("position_ids")) stepFeeds.position_ids = int64(ort, [seen], [1, 1]);
      const up: Record<string, unknown> = bound
        ? await upload.run(stepFeeds, bound)
        : await upload.run(stepFeeds);
      bound ??= Object.fromEntries(stepInputs.map((x) => [`${x.name}_gpu`, up[`${x.name}_gpu`]]));
      const decodeFeeds: Record<string, unknown> = {};
      const fetches: Record<string, unknown> = { logits };
      for (const x of stepInputs) decodeFeeds[x.name] = bound[`${x.name}_gpu`];
      for (const [k, v] of Object.entries(cache)) {
        (k.startsWith("present") ? fetches : decodeFeeds)[k] = v;
      }
      const out = await decode.run(decodeFeeds, fetches);
      logits ??= out.logits;
      const r = await argmax.run({ logits });
      next = Number(r.next.data[0]);
      ids.push(next);
      maxLogits.push(Number(r.max.data[0]));
      tokenAt.push(performance.now());
    }
    return {
      ids,
      maxLogits,
      tokenAt,
      startedAt,
      tokensPerSecond: decodeTokensPerSecond(tokenAt),
    };
  } finally {
    for (const session of sessions) await session.release();
    await Deno.remove(dir, { recursive: true });
  }
}
