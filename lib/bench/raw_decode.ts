/**
 * A raw onnxruntime-node greedy decode loop over a forge (or Hugging Face) Llama ONNX file,
 * fed exactly as transformers.js feeds it: input_ids, attention_mask, position_ids and
 * past_key_values.{i}.key/value (empty on the first step: the batch dim is 1, the sequence
 * dim 0), reading logits and present.{i}.key/value. The baseline the kit's overhead is
 * measured against.
 *
 * @module
 */
import type { Ort } from "./bandwidth.ts";

/** What the loop needs to know of the model (from its config.json). */
export interface DecoderShape {
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  hidden_size: number;
  head_dim?: number;
}

/** Options of {@link rawGreedyDecode}. */
export interface RawDecodeOptions {
  /** Prompt token ids (as the tokenizer gives them, BOS included). */
  promptIds: number[];
  /** New tokens to produce at most. */
  maxNewTokens: number;
  /** Stop after this token, as transformers.js does with generation_config's eos. */
  eosTokenId?: number | number[];
  /** Called after every new token with its index (0-based) and id. */
  onToken?: (index: number, id: number) => void;
  /**
   * A static KV cache: one buffer per layer for the prompt and every new token, fed as
   * past_key_values and bound as the present output (onnxruntime writes the new positions in
   * place; GroupQueryAttention shares past and present when they are one buffer), with an
   * attention_mask of that fixed length, zeros past the tokens so far. Only graphs built on
   * GroupQueryAttention (the forge's fused graph) accept it; a Concat-based graph's present
   * is longer than the buffer, and onnxruntime rejects the run.
   */
  staticKv?: boolean;
}

/** One greedy generation: the ids and when each arrived. */
export interface RawDecodeResult {
  ids: number[];
  /** performance.now() when each new token was known (after its argmax). */
  tokenAt: number[];
  /** performance.now() when the loop started. */
  startedAt: number;
  /** Decode tokens per second, as the kit counts them: (n − 1) ÷ (last − first). */
  tokensPerSecond: number | null;
}

/**
 * Index of the largest of `n` values starting at `offset` (first one on ties, as
 * transformers.js's `max` does).
 *
 * @example
 * ```ts
 * argmaxRange(new Float32Array([0, 3, 1, 3]), 0, 4); // 1
 * ```
 */
export function argmaxRange(values: ArrayLike<number>, offset: number, n: number): number {
  let bestIndex = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[offset + i];
    if (v > bestValue) {
      bestValue = v;
      bestIndex = i;
    }
  }
  return bestIndex;
}

/**
 * Tokens per second over the decode phase from the arrival times of the new tokens:
 * (n − 1) × 1000 ÷ (last − first), null with fewer than two tokens.
 *
 * @example
 * ```ts
 * decodeTokensPerSecond([100, 200, 300]); // 10
 * ```
 */
export function decodeTokensPerSecond(tokenAt: number[]): number | null {
  if (tokenAt.length < 2) return null;
  const ms = tokenAt[tokenAt.length - 1] - tokenAt[0];
  return ms > 0 ? ((tokenAt.length - 1) * 1000) / ms : null;
}

/** An int64 tensor of `values` (input_ids, attention_mask, position_ids). */
export const int64 = (ort: Ort, values: number[], dims: number[]) =>
  new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);

/** A static cache's attention_mask: `capacity` long, ones for the `seen` tokens, then zeros. */
export const staticMask = (ort: Ort, seen: number, capacity: number) =>
  int64(ort, Array.from({ length: capacity }, (_, j) => (j < seen ? 1 : 0)), [1, capacity]);

/** The element type of a session's KV cache: float32, or float16 for fp16 exports. */
// deno-lint-ignore no-explicit-any
export const kvElementType = (session: any): string =>
  session.inputMetadata?.find?.((m: { name: string }) => m.name === "past_key_values.0.key")
    ?.type ?? "float32";

/** A zeroed KV tensor [1, kvHeads, length, headDim] of `type` (float16 as raw bits). */
export function zeroKv(ort: Ort, type: string, kvHeads: number, length: number, headDim: number) {
  const n = kvHeads * length * headDim;
  const data = type === "float16" ? new Uint16Array(n) : new Float32Array(n);
  return new ort.Tensor(type, data, [1, kvHeads, length, headDim]);
}

/**
 * Greedy decoding with a raw session: one run for the prompt, then one run per new token with
 * the KV cache fed back (or, with `staticKv`, written in place). On the CPU the KV cache must
 * be float32 (fp32, q8, q4 graphs): under Deno, onnxruntime-node 1.30 turns float16 data into
 * a Float16Array it then cannot read back as an input ("not enough space: expected N, got 0");
 * on webgpu the cache stays in GPU buffers and any type works.
 *
 * @example
 * ```ts
 * const ort = await loadOrt(); // lib/bench/_ort.ts
 * const session = await ort.InferenceSession.create("model_q4.onnx");
 * const r = await rawGreedyDecode(ort, session, config, { promptIds: [1, 5], maxNewTokens: 8 });
 * ```
 */
export async function rawGreedyDecode(
  ort: Ort,
  // deno-lint-ignore no-explicit-any
  session: any,
  shape: DecoderShape,
  opts: RawDecodeOptions,
): Promise<RawDecodeResult> {
  const layers = shape.num_hidden_layers;
  const kvHeads = shape.num_key_value_heads ?? shape.num_attention_heads;
  const headDim = shape.head_dim ?? shape.hidden_size / shape.num_attention_heads;
  const inputNames = new Set<string>(session.inputNames);
  const eos = new Set([opts.eosTokenId ?? []].flat());
  const kvType = kvElementType(session);
  // The cache's length: none yet (it grows), or room for the prompt and every new token.
  const capacity = opts.staticKv ? opts.promptIds.length + opts.maxNewTokens : 0;
  let past: Record<string, unknown> = {};
  const fetches: Record<string, unknown> = { logits: null };
  for (let i = 0; i < layers; i++) {
    for (const kv of ["key", "value"]) {
      const buffer = zeroKv(ort, kvType, kvHeads, capacity, headDim);
      past[`past_key_values.${i}.${kv}`] = buffer;
      fetches[`present.${i}.${kv}`] = opts.staticKv ? buffer : null;
    }
  }
  const ids: number[] = [];
  const tokenAt: number[] = [];
  const startedAt = performance.now();
  let step = [...opts.promptIds];
  let total = 0;
  while (ids.length < opts.maxNewTokens) {
    const s = step.length;
    const feeds: Record<string, unknown> = { ...past };
    feeds.input_ids = int64(ort, step, [1, s]);
    if (inputNames.has("attention_mask")) {
      feeds.attention_mask = opts.staticKv
        ? staticMask(ort, total + s, capacity)
        : int64(ort, new Array(total + s).fill(1), [1, total + s]);
    }
    if (inputNames.has("position_ids")) {
      feeds.position_ids = int64(ort, Array.from({ length: s }, (_, j) => total + j), [1, s]);
    }
    const out = opts.staticKv ? await session.run(feeds, fetches) : await session.run(feeds);
    const logits = out.logits;
    const vocab = logits.dims[2];
    const next = argmaxRange(logits.data, (s - 1) * vocab, vocab);
    ids.push(next);
    tokenAt.push(performance.now());
    opts.onToken?.(ids.length - 1, next);
    total += s;
    if (!opts.staticKv) {
      past = {};
      for (let i = 0; i < layers; i++) {
        past[`past_key_values.${i}.key`] = out[`present.${i}.key`];
        past[`past_key_values.${i}.value`] = out[`present.${i}.value`];
      }
    }
    if (eos.has(next)) break;
    step = [next];
  }
  return { ids, tokenAt, startedAt, tokensPerSecond: decodeTokensPerSecond(tokenAt) };
}
