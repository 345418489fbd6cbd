/**
 * Pieces shared by the forge's two decoder graphs (llama_graph.ts, the graph of plain ONNX
 * operators, and fused_graph.ts, onnxruntime's fused operators): the node builder, the
 * inputs/outputs transformers.js feeds and reads, the linear layers in each weight format, the
 * embedding lookup, and what every decoder starts and ends with ({@link decoderParts}).
 *
 * @module
 */
import {
  DataType,
  type DataTypeId,
  type NodeSpec,
  type TensorSpec,
  type ValueSpec,
} from "./onnx_proto.ts";
import { type ForgeDtype, headDim, type LlamaShape } from "./presets.ts";
import {
  bytesOf,
  quantizeLinearInt8,
  quantizeQ4,
  quantizeRowsInt8,
  toFloat16Bytes,
  transpose,
} from "./quantize.ts";
import type { WeightSource } from "./weights.ts";

/**
 * Block size of the 4-bit weights (one scale per this many weights along K), chosen by
 * measurement (2026-12-02). This 2-core machine, TinyLlama-1.1B shape, raw onnxruntime loop, 32
 * new tokens, three rounds: decode 24.3 tok/s with blocks of 32 (llama.cpp's Q4_0 and the hub's
 * usual export), 26.9 with 64, 29.8 with 128. Llama-2-7B shape, q4, raw session: peak RSS 4.68
 * GB = 1.22 × its 3.85 GB of weights with 64, 4.08 GB = 1.12 × 3.64 GB with 128 (MatMulNBits at
 * accuracy level 4 keeps a float per block and column beside the packed weights), decode 3.78
 * against 4.43 tok/s. H200, webgpu, fused graph, five interleaved rounds (`bench-gpu --dtypes
 * q4,q4f16`): decode 128 ÷ 64 per round, median 1.01 for q4f16 (0.66–1.08) and 0.84 for q4
 * (0.68–1.30) — within the rounds' spread, the GPU's decode is bound by its ~240 kernel launches
 * per step, not by the weights' layout; prefill 0.96 (q4f16) and 0.99 (q4). Quality on kit-es
 * (`eval-model`, 112 questions): q4's tokens equal to fp32 89.9 % with 128 against 90.8 % with
 * 64, identical answers 70.5 against 69.6 %; on `tiny` the largest q4 logit error grows from 5
 * to 10.7 % of the logits' range. The kit with 128, `deno task bench --only 7b,llamacpp,overhead
 * --quick` here: Llama-2-7B q4 peak RSS 4.28 GB = 1.17 × its weights (1.28 with 64; target
 * ≤ 1.25); TinyLlama q4 decode kit ÷ llama.cpp Q4_0 0.86 (0.80 with 64), 59 % of the bandwidth
 * roofline (53 %). Faster on CPU and within the memory target, for that small quality cost.
 * Blocks of 256, tried on this machine (2026-12-02): raw loop, five interleaved rounds, decode
 * 40.3 against 34.9 tok/s with 128 (median ratio 1.15, rounds 1.14–1.19); `deno task bench
 * --only llamacpp --quick` run back to back, kit ÷ llama.cpp Q4_0 0.83 against 0.75, peak RSS
 * 1.18 against 1.24 × weights. H200, webgpu, TinyLlama shape, fused graph, raw loop with the
 * KV cache on the GPU, 512-token prompt, 128 new tokens, five interleaved rounds in one process
 * (2026-12-02): 256 runs, decode median 108.0 against 92.0 tok/s for q4 (ratio 1.17, rounds
 * 0.90–1.53) and 112.5 against 110.6 for q4f16 (1.02, rounds 0.82–1.16), inside the rounds'
 * spread; q4's largest logit difference webgpu ÷ cpu, 64-token prompt, 7.7 % of the largest
 * logit with 256 against 4.4 % with 128 (coarser scales). Kept at 128: the gain is on the CPU
 * only, it costs precision (llama.cpp's Q4_0 uses 32), and kit-es's K = 384 pads to two blocks
 * of 256 (its q4 file 11.0 MB against 9.3 MB).
 */
export const Q4_BLOCK_SIZE: number = 128;

/** An initializer's name, type and dims (its bytes come later from a {@link WeightGroup}). */
export interface InitializerInfo {
  name: string;
  dataType: DataTypeId;
  dims: number[];
}

/** Initializers made together from one HF tensor; `produce` returns their bytes in order. */
export interface WeightGroup {
  tensors: InitializerInfo[];
  produce: () => Uint8Array[];
}

/** A decoder graph ready to be written: nodes, small inline constants and weight groups. */
export interface LlamaGraph {
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  constants: TensorSpec[];
  weights: WeightGroup[];
}

/** Whether a dtype's activations, KV cache and logits are float16 (else float32). */
export function isHalf(dtype: ForgeDtype): boolean {
  return dtype === "fp16" || dtype === "q4f16";
}

/** A dtype's float type (float16 or float32), and float32 values as bytes of that type. */
export function floatType(
  dtype: ForgeDtype,
): { FT: DataTypeId; fromF32: (w: Float32Array) => Uint8Array } {
  const FT = isHalf(dtype) ? DataType.FLOAT16 : DataType.FLOAT;
  return { FT, fromF32: (w) => (FT === DataType.FLOAT16 ? toFloat16Bytes(w) : bytesOf(w)) };
}

/** Node list, inline constants (deduplicated) and weight groups of a graph being built. */
export class GraphBuilder {
  nodes: NodeSpec[] = [];
  constants: TensorSpec[] = [];
  weights: WeightGroup[] = [];
  #count = 0;
  #cache = new Map<string, string>();

  /** Adds a node; returns its output names (generated unless given). */
  node(
    op: string,
    inputs: string[],
    attrs: NodeSpec["attrs"] = {},
    opts: { outputs?: string[]; nOut?: number; domain?: string } = {},
  ): string[] {
    const id = this.#count++;
    const outputs = opts.outputs ??
      Array.from({ length: opts.nOut ?? 1 }, (_, i) => `/${op.toLowerCase()}_${id}/out${i}`);
    this.nodes.push({ op, inputs, outputs, name: `/${op}_${id}`, attrs, domain: opts.domain });
    return outputs;
  }

  /** Adds a node with one output; returns its name. */
  one(op: string, inputs: string[], attrs: NodeSpec["attrs"] = {}, out?: string, domain?: string) {
    return this.node(op, inputs, attrs, { outputs: out ? [out] : undefined, domain })[0];
  }

  /** A small inline constant (int64, float or float16), shared when repeated. */
  const(dataType: DataTypeId, dims: number[], values: number[]): string {
    const key = `${dataType}|${dims}|${values}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const name = `const_${this.constants.length}`;
    let raw: Uint8Array;
    if (dataType === DataType.INT64) raw = bytesOf(BigInt64Array.from(values.map(BigInt)));
    else if (dataType === DataType.FLOAT) raw = bytesOf(Float32Array.from(values));
    else if (dataType === DataType.FLOAT16) raw = toFloat16Bytes(Float32Array.from(values));
    else throw new Error(`const of type ${dataType}`);
    this.constants.push({ name, dataType, dims, raw });
    this.#cache.set(key, name);
    return name;
  }

  /** An int64 constant (a vector, or a scalar with `scalar`). */
  i64(values: number[], scalar = false): string {
    return this.const(DataType.INT64, scalar ? [] : [values.length], values);
  }

  /** Builds `make()` once per key (e.g. one DynamicQuantizeLinear per activation). */
  memo(key: string, make: () => string[]): string[] {
    const hit = this.#cache.get(key);
    if (hit) return JSON.parse(hit);
    const v = make();
    this.#cache.set(key, JSON.stringify(v));
    return v;
  }
}

/**
 * The inputs and outputs transformers.js feeds and reads: input_ids, attention_mask,
 * position_ids, past_key_values.N.key/value → logits, present.N.key/value
 * ([batch_size, kv_heads, seq, head_dim]).
 */
function decoderIo(s: LlamaShape, FT: DataTypeId): {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
} {
  const D = headDim(s);
  const kv = s.num_key_value_heads;
  const inputs: ValueSpec[] = [
    { name: "input_ids", dataType: DataType.INT64, shape: ["batch_size", "sequence_length"] },
    {
      name: "attention_mask",
      dataType: DataType.INT64,
      shape: ["batch_size", "total_sequence_length"],
    },
    { name: "position_ids", dataType: DataType.INT64, shape: ["batch_size", "sequence_length"] },
  ];
  const outputs: ValueSpec[] = [
    { name: "logits", dataType: FT, shape: ["batch_size", "sequence_length", s.vocab_size] },
  ];
  for (let i = 0; i < s.num_hidden_layers; i++) {
    for (const kind of ["key", "value"]) {
      inputs.push({
        name: `past_key_values.${i}.${kind}`,
        dataType: FT,
        shape: ["batch_size", kv, "past_sequence_length", D],
      });
      outputs.push({
        name: `present.${i}.${kind}`,
        dataType: FT,
        shape: ["batch_size", kv, "total_sequence_length", D],
      });
    }
  }
  return { inputs, outputs };
}

/** How {@link linearLayers} writes the weights. */
export interface LinearOptions {
  /** q8: "integer" (MatMulInteger) or "dequantize" (DequantizeLinear → MatMul). */
  q8Pattern?: "integer" | "dequantize";
  /** MatMulNBits accuracy_level of the 4-bit weights (0: fp32/fp16 compute, 4: int8). */
  q4AccuracyLevel: number;
}

/** The rows of several HF [out, in] matrices stacked into one [Σout, in] matrix. */
function stackRows(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Returns `linear(x, hf, K, N, out?)`: y = x Wᵀ for the HF linear weight(s) `hf` ([N, K], or
 * several stacked along N into one matrix named `name`), in `dtype`'s format (see
 * llama_graph.ts for why each format looks as it does).
 */
export function linearLayers(
  g: GraphBuilder,
  dtype: ForgeDtype,
  source: WeightSource,
  opts: LinearOptions,
) {
  const { FT, fromF32 } = floatType(dtype);
  return (
    x: string,
    hf: string | string[],
    K: number,
    N: number,
    out?: string,
    name?: string,
  ): string => {
    const names = typeof hf === "string" ? [hf] : hf;
    const base = name ?? names[0];
    const weight = () => stackRows(names.map((n) => source.get(n)));
    if (dtype === "fp32" || dtype === "fp16") {
      const w = `${base}.T`;
      g.weights.push({
        tensors: [{ name: w, dataType: FT, dims: [K, N] }],
        produce: () => [fromF32(transpose(weight(), N, K))],
      });
      return g.one("MatMul", [x, w], {}, out);
    }
    if (dtype === "q8") {
      const qName = `${base}.T.int8`;
      const sName = `${base}.scale`;
      g.weights.push({
        tensors: [
          { name: qName, dataType: DataType.INT8, dims: [K, N] },
          { name: sName, dataType: DataType.FLOAT, dims: [N] },
        ],
        produce: () => {
          const { q, scale } = quantizeLinearInt8(weight(), N, K);
          return [bytesOf(q), bytesOf(scale)];
        },
      });
      if (opts.q8Pattern === "dequantize") {
        const w = g.one("DequantizeLinear", [qName, sName], { axis: { i: 1 } });
        return g.one("MatMul", [x, w], {}, out);
      }
      const [xq, xs, xz] = g.memo(
        `dql:${x}`,
        () => g.node("DynamicQuantizeLinear", [x], {}, { nOut: 3 }),
      );
      const acc = g.one("MatMulInteger", [xq, qName, xz]);
      const accF = g.one("Cast", [acc], { to: { i: DataType.FLOAT } });
      const scale = g.one("Mul", [xs, sName]);
      return g.one("Mul", [accF, scale], {}, out);
    }
    const blocks = Math.ceil(K / Q4_BLOCK_SIZE);
    const bName = `${base}.q4`;
    const sName = `${base}.q4_scales`;
    g.weights.push({
      tensors: [
        { name: bName, dataType: DataType.UINT8, dims: [N, blocks, Q4_BLOCK_SIZE / 2] },
        { name: sName, dataType: FT, dims: [N * blocks] },
      ],
      produce: () => {
        const { packed, scales } = quantizeQ4(weight(), N, K, Q4_BLOCK_SIZE);
        return [packed, fromF32(scales)];
      },
    });
    return g.one(
      "MatMulNBits",
      [x, bName, sName],
      {
        K: { i: K },
        N: { i: N },
        bits: { i: 4 },
        block_size: { i: Q4_BLOCK_SIZE },
        accuracy_level: { i: opts.q4AccuracyLevel },
      },
      out,
      "com.microsoft",
    );
  };
}

/**
 * The token embeddings: a Gather of the table (fp32/fp16), or, for the quantized formats, of
 * an int8 table with one scale per row, Cast·scale on the gathered rows only.
 */
export function embedTokens(
  g: GraphBuilder,
  s: LlamaShape,
  dtype: ForgeDtype,
  source: WeightSource,
): string {
  const V = s.vocab_size;
  const H = s.hidden_size;
  const name = "model.embed_tokens.weight";
  if (dtype === "fp32" || dtype === "fp16") {
    const { FT, fromF32 } = floatType(dtype);
    g.weights.push({
      tensors: [{ name, dataType: FT, dims: [V, H] }],
      produce: () => [fromF32(source.get(name))],
    });
    return g.one("Gather", [name, "input_ids"], { axis: { i: 0 } });
  }
  g.weights.push({
    tensors: [
      { name: `${name}.int8`, dataType: DataType.INT8, dims: [V, H] },
      { name: `${name}.scale`, dataType: DataType.FLOAT, dims: [V] },
    ],
    produce: () => {
      const { q, scale } = quantizeRowsInt8(source.get(name), V, H);
      return [bytesOf(q), bytesOf(scale)];
    },
  });
  const rows = g.one("Gather", [`${name}.int8`, "input_ids"], { axis: { i: 0 } });
  const rowScale = g.one("Gather", [`${name}.scale`, "input_ids"], { axis: { i: 0 } });
  const x = g.one("Mul", [
    g.one("Cast", [rows], { to: { i: DataType.FLOAT } }),
    g.one("Unsqueeze", [rowScale, g.i64([-1])]),
  ]);
  return dtype === "q4f16" ? g.one("Cast", [x], { to: { i: DataType.FLOAT16 } }) : x;
}

/** What both decoder graphs start and end with ({@link decoderParts}). */
export interface DecoderParts {
  g: GraphBuilder;
  /** Float type of the activations, KV cache and logits. */
  FT: DataTypeId;
  /** Float32 values as bytes of FT. */
  fromF32: (w: Float32Array) => Uint8Array;
  /** The linear layers ({@link linearLayers}). */
  linear: ReturnType<typeof linearLayers>;
  /** Declares the RMSNorm weight `hf` ([hidden], in FT); returns its name. */
  normWeight: (hf: string) => string;
  /** The MLP's activation: SiLU(gate) · up. */
  swiGlu: (gate: string, up: string) => string;
  /** The lm_head on the final hidden state `h` (output "logits"), then the finished graph. */
  finish: (h: string) => LlamaGraph;
}

/**
 * Starts a decoder graph for `dtype`: the builder, the inputs and outputs transformers.js
 * feeds and reads, the linear layers, the RMSNorm weights, and the lm_head that ends it.
 */
export function decoderParts(
  s: LlamaShape,
  dtype: ForgeDtype,
  source: WeightSource,
  linear: LinearOptions,
): DecoderParts {
  const g = new GraphBuilder();
  const { FT, fromF32 } = floatType(dtype);
  const { inputs, outputs } = decoderIo(s, FT);
  const layers = linearLayers(g, dtype, source, linear);
  return {
    g,
    FT,
    fromF32,
    linear: layers,
    normWeight: (hf) => {
      g.weights.push({
        tensors: [{ name: hf, dataType: FT, dims: [s.hidden_size] }],
        produce: () => [fromF32(source.get(hf))],
      });
      return hf;
    },
    swiGlu: (gate, up) => g.one("Mul", [g.one("Mul", [gate, g.one("Sigmoid", [gate])]), up]),
    finish: (h) => {
      layers(h, "lm_head.weight", s.hidden_size, s.vocab_size, "logits");
      return { nodes: g.nodes, inputs, outputs, constants: g.constants, weights: g.weights };
    },
  };
}
