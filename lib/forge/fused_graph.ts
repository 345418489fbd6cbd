/**
 * The Llama decoder built from onnxruntime's fused operators, the way the hub's ONNX models
 * for transformers.js are built (onnxruntime's model builder): per layer
 *
 *   SkipSimplifiedLayerNormalization (residual add + RMSNorm in one kernel)
 *   → one q/k/v projection (the three weights stacked)
 *   → com.microsoft GroupQueryAttention on the packed q/k/v (the split, rotary embedding,
 *     KV-cache concat, grouped heads, causal softmax and the context in one kernel)
 *   → o_proj → SkipSimplifiedLayerNormalization
 *   → one gate/up projection (stacked) → Split → SiLU(gate)·up → down_proj
 *
 * ≈ 11 nodes per layer against ≈ 60 in llama_graph.ts. Inputs and outputs are the same
 * (transformers.js feeds both alike): GroupQueryAttention gets seqlens_k = Σ attention_mask − 1
 * and total_sequence_length = attention_mask's length, computed inside the graph, and takes
 * the positions of the rotary embedding from them, as the hub's models do. position_ids stays
 * a declared input (transformers.js feeds it) but is not read: the positions are
 * past length + i, which is what transformers.js feeds for one sequence. A batch of
 * left-padded prompts is therefore not supported by this graph (GroupQueryAttention treats
 * padding as trailing); the plain graph (`graph: "classic"`) handles it.
 *
 * Weight formats as in llama_graph.ts, plus q4f16: 4-bit MatMulNBits weights with float16
 * scales, activations, KV cache and logits (the hub's GPU format). The MatMulNBits
 * accuracy_level is chosen per dtype ({@link FUSED_Q4_ACCURACY}).
 *
 * @module
 */
import { DataType } from "./onnx_proto.ts";
import { type ForgeDtype, headDim, type LlamaShape } from "./presets.ts";
import { decoderParts, embedTokens, type LlamaGraph } from "./graph_parts.ts";
import type { WeightSource } from "./weights.ts";

/**
 * MatMulNBits accuracy_level of the fused graph's 4-bit formats (4: int8 activations per
 * block and int8 dot products, as llama.cpp's Q4_0, a q8-sized activation error; 0: fp32/fp16
 * arithmetic, the dequantized model's numbers). Measured on the H200 (bench-gpu, 2026-12-01,
 * TinyLlama-1.1B shape, 512-token prompt + 128 new tokens, level 4 ÷ level 0 in one run):
 * WebGPU q4 prefill 5.95×, decode 0.86×; q4f16 prefill 3.09×, decode 0.92× — level 4 finishes
 * that request sooner (q4: 1.24 s against 1.63 s), so 4 for both. On CPU it depends on the
 * machine: this 2-core machine (`deno task bench --only graphs --quick`, same-round ratios)
 * decodes 1.66× and prefills 1.51× faster with level 4; the H200 host's 16 Xeon cores 0.86×.
 * One file serves every device, so the level that wins on the kit's reference machines: 4.
 */
export const FUSED_Q4_ACCURACY: Record<"q4" | "q4f16", number> = { q4: 4, q4f16: 4 };

/** Options of {@link buildFusedGraph}. */
export interface FusedGraphOptions {
  /** MatMulNBits accuracy_level (default {@link FUSED_Q4_ACCURACY} for the dtype). */
  q4AccuracyLevel?: number;
  /** q8 operator pattern, as in llama_graph.ts. */
  q8Pattern?: "integer" | "dequantize";
}

/**
 * The rotary tables GroupQueryAttention reads: cos and sin of position × inv_freq for every
 * position up to max_position_embeddings, [positions, head_dim / 2], computed in float32 as
 * Hugging Face's LlamaRotaryEmbedding does (inv_freq, the product and the angle all float32).
 */
export function rotaryTables(s: LlamaShape): { cos: Float32Array; sin: Float32Array } {
  const D = headDim(s);
  const half = D / 2;
  const positions = s.max_position_embeddings;
  const invFreq = Float32Array.from(
    { length: half },
    (_, i) => 1 / Math.pow(s.rope_theta, (2 * i) / D),
  );
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * invFreq[i]);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/**
 * Builds the fused decoder graph for `dtype` from `source` (weights are read only when the
 * graph is written).
 *
 * @example
 * ```ts
 * const graph = buildFusedGraph(getPreset("tiny-random").shape, "q4f16", source);
 * ```
 */
export function buildFusedGraph(
  s: LlamaShape,
  dtype: ForgeDtype,
  source: WeightSource,
  opts: FusedGraphOptions = {},
): LlamaGraph {
  const level = opts.q4AccuracyLevel ??
    (dtype === "q4" || dtype === "q4f16" ? FUSED_Q4_ACCURACY[dtype] : 0);
  const { g, FT, fromF32, linear, normWeight, swiGlu, finish } = decoderParts(s, dtype, source, {
    q8Pattern: opts.q8Pattern,
    q4AccuracyLevel: level,
  });
  const D = headDim(s);
  const H = s.hidden_size;
  const I = s.intermediate_size;
  const heads = s.num_attention_heads;
  const kv = s.num_key_value_heads;
  const eps = { f: s.rms_norm_eps };
  // RMSNorm of x (first layer: nothing to add yet).
  const norm = (x: string, hf: string) =>
    g.one("SimplifiedLayerNormalization", [x, normWeight(hf)], {
      axis: { i: -1 },
      epsilon: eps,
      stash_type: { i: 1 },
    });
  // RMSNorm of x + skip; returns [normalized, x + skip] (the new residual).
  const skipNorm = (x: string, skip: string, hf: string, last = false) => {
    const id = g.nodes.length;
    const y = `/skip_norm_${id}/out0`;
    // Outputs: normalized, (mean, inverse std: not wanted), x + skip (not wanted at the end).
    const sum = last ? "" : `/skip_norm_${id}/out3`;
    g.node("SkipSimplifiedLayerNormalization", [x, skip, normWeight(hf)], { epsilon: eps }, {
      outputs: last ? [y] : [y, "", "", sum],
      domain: "com.microsoft",
    });
    return [y, sum];
  };

  // GroupQueryAttention's lengths: seqlens_k = tokens seen − 1 per row, total = mask length.
  const seen = g.one("ReduceSum", ["attention_mask", g.i64([1])], { keepdims: { i: 0 } });
  const seqlensK = g.one("Cast", [g.one("Sub", [seen, g.i64([1], true)])], {
    to: { i: DataType.INT32 },
  });
  const totalLen = g.one("Cast", [
    g.one("Squeeze", [
      g.one("Shape", ["attention_mask"], { start: { i: 1 }, end: { i: 2 } }),
      g.i64([0]),
    ]),
  ], { to: { i: DataType.INT32 } });
  const { cos, sin } = rotaryTables(s);
  const positions = s.max_position_embeddings;
  g.weights.push({
    tensors: [
      { name: "rotary.cos_cache", dataType: FT, dims: [positions, D / 2] },
      { name: "rotary.sin_cache", dataType: FT, dims: [positions, D / 2] },
    ],
    produce: () => [fromF32(cos), fromF32(sin)],
  });

  let residual = embedTokens(g, s, dtype, source);
  let h = norm(residual, "model.layers.0.input_layernorm.weight");
  for (let i = 0; i < s.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    const a = `${p}.self_attn`;
    const qkv = linear(
      h,
      [`${a}.q_proj.weight`, `${a}.k_proj.weight`, `${a}.v_proj.weight`],
      H,
      (heads + 2 * kv) * D,
      undefined,
      `${a}.qkv_proj.weight`,
    );
    // Packed q/k/v: GroupQueryAttention splits it itself (key and value left empty).
    const [ctx] = g.node(
      "GroupQueryAttention",
      [
        qkv,
        "",
        "",
        `past_key_values.${i}.key`,
        `past_key_values.${i}.value`,
        seqlensK,
        totalLen,
        "rotary.cos_cache",
        "rotary.sin_cache",
      ],
      {
        num_heads: { i: heads },
        kv_num_heads: { i: kv },
        scale: { f: 1 / Math.sqrt(D) },
        do_rotary: { i: 1 },
        rotary_interleaved: { i: 0 },
      },
      {
        outputs: [`/attn_${i}/out`, `present.${i}.key`, `present.${i}.value`],
        domain: "com.microsoft",
      },
    );
    const o = linear(ctx, `${a}.o_proj.weight`, heads * D, H);
    let m: string;
    [m, residual] = skipNorm(o, residual, `${p}.post_attention_layernorm.weight`);
    const gateUp = linear(
      m,
      [`${p}.mlp.gate_proj.weight`, `${p}.mlp.up_proj.weight`],
      H,
      2 * I,
      undefined,
      `${p}.mlp.gate_up_proj.weight`,
    );
    const [gate, up] = g.node("Split", [gateUp, g.i64([I, I])], { axis: { i: -1 } }, {
      nOut: 2,
    });
    const down = linear(swiGlu(gate, up), `${p}.mlp.down_proj.weight`, I, H);
    const last = i === s.num_hidden_layers - 1;
    [h, residual] = skipNorm(
      down,
      residual,
      last ? "model.norm.weight" : `model.layers.${i + 1}.input_layernorm.weight`,
      last,
    );
  }
  return finish(h);
}
