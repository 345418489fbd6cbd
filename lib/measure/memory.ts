/**
 * The memory arithmetic of the session ("los números que importan"): weights per dtype,
 * KV cache, activations, and "will it fit?" before loading a model.
 *
 * @module
 */
import { type Dtype, HUB_SHAPES } from "../core/types.ts";
import { KitError } from "../core/errors.ts";

export type { Dtype };

/** Bytes per parameter as the session's slides count them (no quantization scales). */
export const BYTES_PER_PARAM: Record<Dtype, number> = { fp32: 4, fp16: 2, q8: 1, q4: 0.5 };

/**
 * Bytes per parameter including quantization scales: block-wise int4 stores one fp16 scale
 * per block (`blockSize` weights), so q4 costs 0.5 + 2/blockSize bytes; int8 with one scale
 * per output row costs ~1 byte.
 *
 * @example
 * ```ts
 * bytesPerParamWithScales("q4", 32); // 0.5625
 * ```
 */
export function bytesPerParamWithScales(dtype: Dtype, blockSize = 32): number {
  return dtype === "q4" ? 0.5 + 2 / blockSize : BYTES_PER_PARAM[dtype];
}

/**
 * Bytes the weights of a model with `params` parameters take in `dtype` (slide arithmetic).
 *
 * @example
 * ```ts
 * estimateWeightsBytes(7e9, "fp16"); // 14e9
 * ```
 */
export function estimateWeightsBytes(params: number, dtype: Dtype): number {
  return params * BYTES_PER_PARAM[dtype];
}

/** The hyper-parameters the arithmetic needs, named as in a Hugging Face LlamaConfig. */
export interface LlamaDims {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Defaults to num_attention_heads (no grouped KV heads). */
  num_key_value_heads?: number;
  /** Defaults to hidden_size / num_attention_heads. */
  head_dim?: number;
  tie_word_embeddings?: boolean;
}

/**
 * Real hyper-parameters of the models the session talks about: the forge's presets of the
 * same names carry them (from the models' config.json).
 */
export const KNOWN_CONFIGS: Record<"llama-2-7b" | "tinyllama-1.1b", LlamaDims> = {
  "llama-2-7b": HUB_SHAPES["llama-2-7b"],
  "tinyllama-1.1b": HUB_SHAPES["tinyllama-1.1b"],
};

function headDim(c: LlamaDims): number {
  return c.head_dim ?? c.hidden_size / c.num_attention_heads;
}

/**
 * Counts a Llama model's parameters from its config: embeddings, per layer the attention
 * projections (q, k, v, o — k and v smaller with grouped KV heads), the SiLU-gated MLP
 * (gate, up, down) and two RMSNorm weights, then the final norm and lm_head (unless tied).
 *
 * @example
 * ```ts
 * countParams(KNOWN_CONFIGS["llama-2-7b"]); // 6_738_415_616
 * ```
 */
export function countParams(c: LlamaDims): number {
  const h = c.hidden_size;
  const qDim = c.num_attention_heads * headDim(c);
  const kvDim = (c.num_key_value_heads ?? c.num_attention_heads) * headDim(c);
  const attention = h * qDim + 2 * h * kvDim + qDim * h;
  const mlp = 3 * h * c.intermediate_size;
  const perLayer = attention + mlp + 2 * h;
  const embed = c.vocab_size * h;
  const lmHead = c.tie_word_embeddings ? 0 : c.vocab_size * h;
  return embed + c.num_hidden_layers * perLayer + h + lmHead;
}

/**
 * KV cache size: 2 (K and V) × layers × KV heads × head_dim × tokens × batch × bytes per value.
 * It grows linearly with the context length.
 *
 * @example
 * ```ts
 * kvCacheBytes(KNOWN_CONFIGS["llama-2-7b"], 1); // 524288 (0.5 MiB per token in fp16)
 * ```
 */
export function kvCacheBytes(c: LlamaDims, tokens: number, batch = 1, bytesPerValue = 2): number {
  const kvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  return 2 * c.num_hidden_layers * kvHeads * headDim(c) * tokens * batch * bytesPerValue;
}

/**
 * A rough estimate of the largest transient activations of one forward pass over `tokens`
 * tokens (fp32, as onnxruntime computes on CPU): hidden states and the MLP's gate/up
 * outputs, the attention scores (heads × tokens × tokens) and the logits (tokens × vocab).
 * An order of magnitude to compare with the weights, not a measurement. `bytesPerValue` is 4
 * (fp32, default) or 2 (fp16 compute on a GPU).
 */
export function estimateActivationsBytes(
  c: LlamaDims,
  tokens: number,
  batch = 1,
  bytesPerValue = 4,
): number {
  const hidden = tokens * (4 * c.hidden_size + 2 * c.intermediate_size);
  const scores = c.num_attention_heads * tokens * tokens;
  const logits = tokens * c.vocab_size;
  return bytesPerValue * batch * (hidden + scores + logits);
}

/** One row of the "does it fit?" table. */
export interface DtypeFit {
  dtype: Dtype;
  weightsGB: number;
  fitsRam: boolean;
  /** null when there is no GPU. */
  fitsVram: boolean | null;
}

/**
 * For each dtype: the weights of a `params`-parameter model in GB (10^9 bytes) and whether
 * they fit in the given free RAM and VRAM (weights only: activations and KV cache come on top).
 *
 * @example
 * ```ts
 * dtypeFits(7e9, { ramBytes: 24e9 }).find((r) => r.dtype === "fp32")?.fitsRam; // false
 * ```
 */
export function dtypeFits(
  params: number,
  { ramBytes, vramBytes }: { ramBytes: number; vramBytes?: number },
): DtypeFit[] {
  return (Object.keys(BYTES_PER_PARAM) as Dtype[]).map((dtype) => {
    const bytes = estimateWeightsBytes(params, dtype);
    return {
      dtype,
      weightsGB: bytes / 1e9,
      fitsRam: bytes <= ramBytes,
      fitsVram: vramBytes === undefined ? null : bytes <= vramBytes,
    };
  });
}

/**
 * Checks, before loading, that weights (with scales) plus the KV cache for `contextTokens`
 * fit in `availableBytes` with a 10 % margin; throws {@link KitError} (kind "too-big") with a Spanish
 * message naming the largest dtype that would fit (or saying none does).
 */
export function assertFits(
  c: LlamaDims,
  dtype: Dtype,
  availableBytes: number,
  contextTokens = 2048,
  where = "la RAM libre",
): void {
  const need = (d: Dtype) =>
    1.1 * (countParams(c) * bytesPerParamWithScales(d) + kvCacheBytes(c, contextTokens, 1, 4));
  if (need(dtype) <= availableBytes) return;
  const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;
  const fitting = (["fp32", "fp16", "q8", "q4"] as Dtype[]).find((d) => need(d) <= availableBytes);
  throw new KitError(
    `El modelo en ${dtype} necesita unos ${gb(need(dtype))} y solo hay ${gb(availableBytes)} en ` +
      `${where}. ` +
      (fitting
        ? `Prueba con dtype "${fitting}" (unos ${gb(need(fitting))}).`
        : "No cabe en ningún dtype: elige un modelo más pequeño."),
    { kind: "too-big" },
  );
}
