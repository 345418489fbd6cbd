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
 * and writes in place.
 *
 * Every fixed buffer comes from one "alloc" session (Cast of CPU zeros, outputs left on the
 * GPU). The other sessions have no preferred output location and get their outputs
 * pre-allocated: onnxruntime-node 1.30 binds outputs to fresh GPU memory on every run when a
 * session has preferred output locations, ignoring the tensors passed as fetches (its
 * `RunSync` says "TODO: support preallocated output tensor"); only its plain run writes into
 * them. Seen on an H200: with preferred locations the decode read the first step's input
 * forever and repeated one token.
 *
 * Measured on an NVIDIA H200 (2026-12-02, `deno task bench-gpu --levers …`, TinyLlama-1.1B
 * shape, q4f16 fused graph, 512-token prompt, 128 new tokens, three interleaved rounds in one
 * process): both static levers decode raw-kv-gpu's 32 first tokens exactly; per round,
 * raw-kv-gpu 161.0 / 156.4 / 101.6 tok/s, static KV 106.3 / 105.5 / 78.7, static KV with
 * capture 110.7 / 93.2 / 74.1. Three session runs per token (upload, decode, argmax) cost more
 * than the replay saves, and the replay saves little because the step is spent inside the
 * kernels (onnxruntime's profile: 237 kernels, 88 % of the step inside them, MatMulNBits and
 * GroupQueryAttention the largest), not in launching them.
 *
 * Only graphs built on GroupQueryAttention (the forge's fused graph) can run this way. A
 * measurement lever of the GPU benchmark (lib/bench/gpu_levers.ts), not a
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

/** A fixed buffer the loop needs: its name, element type and shape. */
interface FixedBuffer {
  name: string;
  type: DataTypeId;
  shape: number[];
}

/**
 * The alloc graph: one float32 input per buffer, cast to the buffer's type. Its outputs, left
 * on the device, are the loop's fixed buffers, zeroed. (Under Deno, onnxruntime-node 1.30
 * cannot take float16 data from the CPU: it sees a Float16Array of 0 bytes, "not enough space:
 * expected N, got 0"; so the fp16 cache cannot be fed from JS.)
 */
function allocModel(buffers: FixedBuffer[]): Uint8Array {
  return encodeModel({
    graphName: "alloc",
    nodes: buffers.map(({ name, type }) => ({
      op: "Cast",
      inputs: [`${name}_zero`],
      outputs: [name],
      name: `alloc_${name}`,
      attrs: { to: { i: type } },
    })),
    initializers: [],
    inputs: buffers.map(({ name, shape }) => ({
      name: `${name}_zero`,
      dataType: DataType.FLOAT,
      shape,
    })),
    outputs: buffers.map(({ name, type, shape }) => ({ name, dataType: type, shape })),
    opsets: { "": 17 },
    irVersion: 8,
    producer: "kit-bench",
  });
}

/** The argmax graph: logits [1, 1, vocab] → next [1, 1] (int64), max [1, 1] (float32). */
function argmaxModel(kvOnnxType: DataTypeId, vocab: number): Uint8Array {
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
    inputs: [{ name: "logits", dataType: kvOnnxType, shape: [1, 1, vocab] }],
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
  const ep = { executionProviders: [device] };
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
    const prefill = await open(modelPath, ep);
    const decode = await open(modelPath, {
      ...ep,
      ...(opts.capture ? capture : {}),
      ...opts.sessionOptions,
    });
    const names = new Set<string>(decode.inputNames);
    const kvType = kvElementType(decode) === "float16" ? DataType.FLOAT16 : DataType.FLOAT;
    const stepInputs = [
      { name: "input_ids", shape: [1, 1] },
      { name: "attention_mask", shape: [1, capacity] },
      ...(names.has("position_ids") ? [{ name: "position_ids", shape: [1, 1] }] : []),
    ];
    const buffers: FixedBuffer[] = [
      ...present.map((name) => ({ name, type: kvType, shape: [1, kvHeads, capacity, headDim] })),
      { name: "logits", type: kvType, shape: [1, 1, shape.vocab_size] },
      ...stepInputs.map((x) => ({ name: `${x.name}_gpu`, type: DataType.INT64, shape: x.shape })),
    ];
    await Deno.writeFile(join(dir, "alloc.onnx"), allocModel(buffers));
    await Deno.writeFile(join(dir, "upload.onnx"), uploadModel(stepInputs));
    await Deno.writeFile(join(dir, "argmax.onnx"), argmaxModel(kvType, shape.vocab_size));
    const alloc = await open(join(dir, "alloc.onnx"), {
      ...ep,
      ...(device === "webgpu"
        ? {
          preferredOutputLocation: Object.fromEntries(
            buffers.map((b) => [b.name, "gpu-buffer"]),
          ),
        }
        : {}),
    });
    const upload = await open(join(dir, "upload.onnx"), ep);
    const argmax = await open(join(dir, "argmax.onnx"), ep);
    const zeros = Object.fromEntries(buffers.map((b) => [
      `${b.name}_zero`,
      new ort.Tensor("float32", new Float32Array(b.shape.reduce((a, x) => a * x, 1)), b.shape),
    ]));
    // deno-lint-ignore no-explicit-any
    const fixed: Record<string, any> = await alloc.run(zeros);
    /** The static cache: each layer's past and present are one buffer, written in place. */
    const cache: Record<string, unknown> = {};
    for (const name of present) {
      cache[name] = fixed[name];
      cache[name.replace("present", "past_key_values")] = fixed[name];
    }
    const split = (all: Record<string, unknown>) => {
      const feeds: Record<string, unknown> = {};
      const fetches: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(all)) (k.startsWith("present") ? fetches : feeds)[k] = v;
      return { feeds, fetches };
    };

    const mask = (seen: number) => staticMask(ort, seen, capacity);
    const ids: number[] = [];
    const maxLogits: number[] = [];
    const tokenAt: number[] = [];
    const startedAt = performance.now();

    // The prompt: CPU ids in, the prompt's keys and values written into the static cache.
    const s = opts.promptIds.length;
    const prompt = split(cache);
    prompt.feeds.input_ids = int64(ort, opts.promptIds, [1, s]);
    prompt.feeds.attention_mask = mask(s);
    if (names.has("position_ids")) {
      prompt.feeds.position_ids = int64(ort, Array.from({ length: s }, (_, j) => j), [1, s]);
    }
    const first = await prefill.run(prompt.feeds, { ...prompt.fetches, logits: null }).catch(
      (e: Error) => {
        // A Concat-based cache (the classic graph) cannot be written into fixed buffers.
        if (!/pre-allocated/.test(String(e?.message))) throw e;
        throw new Error(
          `${modelPath}: the cache is not static: only a graph built on GroupQueryAttention ` +
            "(the forge's fused graph) writes its keys and values into fixed buffers",
        );
      },
    );
    const vocab = first.logits.dims[2];
    let next = argmaxRange(first.logits.data, (s - 1) * vocab, vocab);
    ids.push(next);
    maxLogits.push(Number(first.logits.data[(s - 1) * vocab + next]));
    tokenAt.push(performance.now());

    // Every decode step: upload into the fixed buffers, run (or replay), read the argmax.
    const uploaded = Object.fromEntries(
      stepInputs.map((x) => [`${x.name}_gpu`, fixed[`${x.name}_gpu`]]),
    );
    const step = split(cache);
    for (const x of stepInputs) step.feeds[x.name] = fixed[`${x.name}_gpu`];
    step.fetches.logits = fixed.logits;
    for (let seen = s; ids.length < opts.maxNewTokens; seen++) {
      const stepFeeds: Record<string, unknown> = {
        input_ids: int64(ort, [next], [1, 1]),
        attention_mask: mask(seen + 1),
      };
      if (names.has("position_ids")) stepFeeds.position_ids = int64(ort, [seen], [1, 1]);
      await upload.run(stepFeeds, uploaded);
      await decode.run(step.feeds, step.fetches);
      const r = await argmax.run({ logits: fixed.logits });
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
