/**
 * The ONNX graph of a Llama decoder (numerically HF's LlamaForCausalLM), in one of four
 * weight formats. Inputs/outputs follow what transformers.js feeds and reads:
 * input_ids, attention_mask, position_ids, past_key_values.N.key/value →
 * logits, present.N.key/value ([batch_size, kv_heads, seq, head_dim]).
 *
 * How each format keeps its memory saving at run time (measured with peak RSS, see rss.ts):
 * - q8: int8 weight initializers consumed by MatMulInteger, with the activations quantized at
 *   run time by DynamicQuantizeLinear (ORT fuses the chain into DynamicQuantizeMatMul /
 *   MatMulIntegerToFloat). Nothing in the chain can be constant-folded because one input of
 *   every op depends on the activations, so the weights stay int8 in memory. The obvious
 *   alternative, DequantizeLinear(int8 initializer) → MatMul (`q8Pattern: "dequantize"`),
 *   makes onnxruntime materialize fp32 copies of the weights (a constant subgraph, computed
 *   at load or per run, and the buffers stay in its arena): measured on the tinyllama-1.1b
 *   shape, 1.95 bytes/parameter and 4× slower decoding, against 1.05 for MatMulInteger.
 * - q4: com.microsoft MatMulNBits (bits 4, block 64, symmetric, default zero point 8): the
 *   packed 4-bit blocks are the kernel's own input format, dequantized block by block inside
 *   the matmul, never as a whole tensor. (DequantizeLinear with int4 + MatMul would be folded
 *   to fp32 like the int8 case.)
 * - Embeddings in q8 and q4: an int8 table with one scale per row, Gather then Cast·scale on
 *   the gathered rows only (again nothing constant to fold). The lm_head is a normal linear.
 *   Measured (peak RSS of load + 8 generated tokens minus the runtime's own, bytes/parameter,
 *   2-core CPU): llama-2-7b q8 1.01, q4 0.57; tinyllama-1.1b fp32 4.04, q8 1.05, q4 0.75 (its
 *   int8 embedding table is 6% of its parameters). With 4-bit blocks of 32 instead of 64 the
 *   fp32 block scales cost 0.125 instead of 0.0625 bytes/parameter (llama-2-7b q4: 0.64).
 * - fp16: the whole graph is float16 (weights, KV cache, logits), as HF fp16 exports are;
 *   RMSNorm and RoPE angles are computed in float32 as HF does. On the CPU execution provider
 *   onnxruntime lacks most fp16 kernels and inserts Casts whose fp32 results are folded at load
 *   time, so fp16 saves disk but not RAM there (measured ≈ fp32); it saves memory on a GPU.
 *
 * @module
 */
import { DataType } from "./onnx_proto.ts";
import { type ForgeDtype, headDim, type LlamaShape } from "./presets.ts";
import { decoderParts, embedTokens, type LlamaGraph } from "./graph_parts.ts";
import type { WeightSource } from "./weights.ts";

export {
  type InitializerInfo,
  type LlamaGraph,
  Q4_BLOCK_SIZE,
  type WeightGroup,
} from "./graph_parts.ts";

/**
 * MatMulNBits accuracy_level of this graph's q4. 0: the kernel dequantizes 4-bit blocks and
 * multiplies in fp32 (same numbers as the dequantized model, the lowest memory). 4 quantizes
 * the activations to int8 per block and uses int8 dot products: measured on llama-2-7b here
 * ~3× the decode speed but +0.06 bytes/parameter of repacked weights and a q8-sized
 * activation error. The fused graph (fused_graph.ts) chooses per dtype; this one keeps 0.
 */
export const Q4_ACCURACY_LEVEL: number = 0;

/** Options of {@link buildLlamaGraph}. */
export interface GraphOptions {
  /**
   * q8 operator pattern: "integer" (default, DynamicQuantizeLinear + MatMulInteger: weights
   * stay int8 at run time) or "dequantize" (DequantizeLinear → MatMul: onnxruntime holds
   * fp32 copies of the weights; kept to show that in the memory lesson).
   */
  q8Pattern?: "integer" | "dequantize";
  /** MatMulNBits accuracy_level (default {@link Q4_ACCURACY_LEVEL}). */
  q4AccuracyLevel?: number;
}

/**
 * Builds the decoder graph for `dtype` from `source` (weights are only read when the graph is
 * written, one group at a time).
 *
 * @example
 * ```ts
 * const graph = buildLlamaGraph(getPreset("tiny-random").shape, "fp32", source);
 * ```
 */
export function buildLlamaGraph(
  s: LlamaShape,
  dtype: ForgeDtype,
  source: WeightSource,
  opts: GraphOptions = {},
): LlamaGraph {
  if (dtype === "q4f16") throw new Error("q4f16 exists only as a fused graph");
  const { g, FT, linear, normWeight, swiGlu, finish } = decoderParts(s, dtype, source, {
    q8Pattern: opts.q8Pattern,
    q4AccuracyLevel: opts.q4AccuracyLevel ?? Q4_ACCURACY_LEVEL,
  });
  const D = headDim(s);
  const H = s.hidden_size;
  const heads = s.num_attention_heads;
  const kv = s.num_key_value_heads;
  const groups = heads / kv;
  const L = s.num_hidden_layers;

  const rmsNorm = (x: string, hf: string): string => {
    const w = normWeight(hf);
    const xf = FT === DataType.FLOAT16 ? g.one("Cast", [x], { to: { i: DataType.FLOAT } }) : x;
    const sq = g.one("Mul", [xf, xf]);
    const mean = g.one("ReduceMean", [sq], { axes: { ints: [-1] }, keepdims: { i: 1 } });
    const eps = g.const(DataType.FLOAT, [], [s.rms_norm_eps]);
    const rms = g.one("Sqrt", [g.one("Add", [mean, eps])]);
    let y = g.one("Mul", [xf, g.one("Reciprocal", [rms])]);
    if (FT === DataType.FLOAT16) y = g.one("Cast", [y], { to: { i: DataType.FLOAT16 } });
    return g.one("Mul", [y, w]);
  };

  let x = embedTokens(g, s, dtype, source);

  // Sequence lengths: S (new tokens), P (cached), T = P + S.
  const S = g.one("Shape", ["input_ids"], { start: { i: 1 }, end: { i: 2 } });
  const P = g.one("Shape", ["past_key_values.0.key"], { start: { i: 2 }, end: { i: 3 } });
  const T = g.one("Add", [P, S]);
  const zero = g.i64([0], true);
  const one = g.i64([1], true);
  const squeeze0 = (v: string) => g.one("Squeeze", [v, g.i64([0])]);

  // Mask [B,1,1,S,T]: key j visible from query i iff j <= P + i and attention_mask[b, j] = 1.
  const qIdx = g.one("Range", [squeeze0(P), squeeze0(T), one]);
  const kIdx = g.one("Range", [zero, squeeze0(T), one]);
  const causal = g.one("LessOrEqual", [
    g.one("Unsqueeze", [kIdx, g.i64([0])]),
    g.one("Unsqueeze", [qIdx, g.i64([1])]),
  ]);
  const causal5 = g.one("Unsqueeze", [causal, g.i64([0, 1, 2])]);
  const padding = g.one("Cast", ["attention_mask"], { to: { i: DataType.BOOL } });
  const padding5 = g.one("Unsqueeze", [padding, g.i64([1, 2, 3])]);
  const mask = g.one("And", [causal5, padding5]);
  const minValue = g.const(FT, [], [FT === DataType.FLOAT16 ? -65504 : -3.4028234663852886e38]);

  // RoPE (HF convention): angles = position * inv_freq, emb = [angles, angles], in float32.
  const invFreq = Array.from({ length: D / 2 }, (_, i) => 1 / Math.pow(s.rope_theta, (2 * i) / D));
  const pos = g.one("Unsqueeze", [
    g.one("Cast", ["position_ids"], { to: { i: DataType.FLOAT } }),
    g.i64([2]),
  ]);
  const freqs = g.one("Mul", [pos, g.const(DataType.FLOAT, [D / 2], invFreq)]);
  const emb = g.one("Concat", [freqs, freqs], { axis: { i: -1 } });
  const toFT = (v: string) => (FT === DataType.FLOAT16 ? g.one("Cast", [v], { to: { i: FT } }) : v);
  const cos = g.one("Unsqueeze", [toFT(g.one("Cos", [emb])), g.i64([1])]);
  const sin = g.one("Unsqueeze", [toFT(g.one("Sin", [emb])), g.i64([1])]);
  const rope = (t: string) => {
    const axes = g.i64([3]);
    const x1 = g.one("Slice", [t, g.i64([0]), g.i64([D / 2]), axes]);
    const x2 = g.one("Slice", [t, g.i64([D / 2]), g.i64([D]), axes]);
    const rotated = g.one("Concat", [g.one("Neg", [x2]), x1], { axis: { i: 3 } });
    return g.one("Add", [g.one("Mul", [t, cos]), g.one("Mul", [rotated, sin])]);
  };
  const heads4 = (t: string, n: number) =>
    g.one("Transpose", [g.one("Reshape", [t, g.i64([0, 0, n, D])])], {
      perm: { ints: [0, 2, 1, 3] },
    });
  const scale = g.const(FT, [], [1 / Math.sqrt(D)]);

  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    const h = rmsNorm(x, `${p}.input_layernorm.weight`);
    const q = rope(heads4(linear(h, `${p}.self_attn.q_proj.weight`, H, heads * D), heads));
    const k = rope(heads4(linear(h, `${p}.self_attn.k_proj.weight`, H, kv * D), kv));
    const v = heads4(linear(h, `${p}.self_attn.v_proj.weight`, H, kv * D), kv);
    const kAll = g.one(
      "Concat",
      [`past_key_values.${i}.key`, k],
      { axis: { i: 2 } },
      `present.${i}.key`,
    );
    const vAll = g.one(
      "Concat",
      [`past_key_values.${i}.value`, v],
      { axis: { i: 2 } },
      `present.${i}.value`,
    );
    // Grouped heads: query head h uses KV head floor(h / groups) (HF repeat_kv), done by
    // viewing the queries as [B, kv, groups, S, D] and broadcasting K/V over the groups.
    const q5 = g.one("Reshape", [q, g.i64([0, kv, groups, -1, D])]);
    const kT = g.one("Transpose", [g.one("Unsqueeze", [kAll, g.i64([2])])], {
      perm: { ints: [0, 1, 2, 4, 3] },
    });
    const scores = g.one("Mul", [g.one("MatMul", [q5, kT]), scale]);
    const probs = g.one("Softmax", [g.one("Where", [mask, scores, minValue])], { axis: { i: -1 } });
    const ctx5 = g.one("MatMul", [probs, g.one("Unsqueeze", [vAll, g.i64([2])])]);
    const ctx4 = g.one("Reshape", [ctx5, g.i64([0, heads, -1, D])]);
    const ctx = g.one("Reshape", [
      g.one("Transpose", [ctx4], { perm: { ints: [0, 2, 1, 3] } }),
      g.i64([0, 0, heads * D]),
    ]);
    x = g.one("Add", [x, linear(ctx, `${p}.self_attn.o_proj.weight`, heads * D, H)]);
    const m = rmsNorm(x, `${p}.post_attention_layernorm.weight`);
    const gate = linear(m, `${p}.mlp.gate_proj.weight`, H, s.intermediate_size);
    const up = linear(m, `${p}.mlp.up_proj.weight`, H, s.intermediate_size);
    const act = swiGlu(gate, up);
    x = g.one("Add", [x, linear(act, `${p}.mlp.down_proj.weight`, s.intermediate_size, H)]);
  }
  return finish(rmsNorm(x, "model.norm.weight"));
}
