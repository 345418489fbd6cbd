/**
 * How many bytes one decode step must read, computed from the very graph the forge writes
 * (its initializers' types and dims, not a bytes-per-parameter guess): every weight is read
 * once per token (the q4 packed nibbles and their scales, the q8 int8 matrices and their
 * scales, norms, lm_head) except the embedding table, of which Gather reads one row; plus the
 * KV cache the attention reads at the current context length.
 *
 * @module
 */
import { buildGraph, DEFAULT_GRAPH, type GraphKind } from "../forge/build.ts";
import { DATA_TYPE_BYTES } from "../forge/onnx_proto.ts";
import { type ForgeDtype, headDim, type LlamaShape } from "../forge/presets.ts";

/** The weight bytes of one model in one dtype, as its graph stores them. */
export interface WeightBytes {
  /** All initializers (≈ the ONNX file's size). */
  total: number;
  /** Of those, the embedding table (and its row scales). */
  embedding: number;
  /** What one decode step reads: total − embedding + one embedding row. */
  perToken: number;
}

const EMBEDDING = "model.embed_tokens.weight";

/**
 * Weight bytes of the forge's graph (default: the default graph) for `shape` in `dtype`.
 *
 * @example
 * ```ts
 * weightBytes(getPreset("tinyllama-1.1b").shape, "q4").perToken; // ≈ 0.59e9
 * ```
 */
export function weightBytes(
  shape: LlamaShape,
  dtype: ForgeDtype,
  graph: GraphKind = DEFAULT_GRAPH,
): WeightBytes {
  const noWeights = {
    get(): Float32Array {
      throw new Error("weights are not needed to count bytes");
    },
  };
  const g = buildGraph(graph, shape, dtype, noWeights);
  let total = 0;
  let embedding = 0;
  let embeddingRow = 0;
  let lookup = 0;
  for (const group of g.weights) {
    for (const t of group.tensors) {
      const bytes = t.dims.reduce((a, b) => a * b, 1) * DATA_TYPE_BYTES[t.dataType];
      total += bytes;
      if (t.name.startsWith(EMBEDDING)) {
        embedding += bytes;
        embeddingRow += bytes / t.dims[0]; // one row of the table (or one row scale)
      } else if (t.name.startsWith("rotary.")) {
        // The fused graph's cos/sin tables: attention reads the new position's row only.
        lookup += bytes - bytes / t.dims[0];
      }
    }
  }
  return { total, embedding, perToken: total - embedding + embeddingRow - lookup };
}

/**
 * Bytes of the KV cache the attention reads for one new token at context length `tokens`
 * (K and V of every layer; float32 except in fp16 graphs).
 *
 * @example
 * ```ts
 * kvReadBytes(getPreset("tinyllama-1.1b").shape, "q4", 100); // 2·22·4·64·100·4
 * ```
 */
export function kvReadBytes(shape: LlamaShape, dtype: ForgeDtype, tokens: number): number {
  const bytes = dtype === "fp16" || dtype === "q4f16" ? 2 : 4;
  return 2 * shape.num_hidden_layers * shape.num_key_value_heads * headDim(shape) * tokens *
    bytes;
}

/**
 * Mean bytes read per decode step when generating `newTokens` after a `promptTokens` prompt:
 * the per-token weights plus the KV cache at the mean context length of the decode steps.
 *
 * @example
 * ```ts
 * bytesPerDecodeToken(shape, "q4", 5, 32);
 * ```
 */
export function bytesPerDecodeToken(
  shape: LlamaShape,
  dtype: ForgeDtype,
  promptTokens: number,
  newTokens: number,
): number {
  const meanContext = promptTokens + newTokens / 2;
  return weightBytes(shape, dtype).perToken + kvReadBytes(shape, dtype, meanContext);
}

/**
 * The bandwidth roofline: the most tokens per second a decoder can reach when every step must
 * stream `bytesPerToken` bytes from memory at `bytesPerSecond`.
 *
 * @example
 * ```ts
 * rooflineTokensPerSecond(20e9, 0.5e9); // 40
 * ```
 */
export function rooflineTokensPerSecond(bytesPerSecond: number, bytesPerToken: number): number {
  return bytesPerSecond / bytesPerToken;
}
