/**
 * Where a model's fp32 weights come from (Hugging Face layout, one tensor at a time):
 * seeded random values, or the `tiny` preset's bigram model of the corpus.
 *
 * @module
 */
import type { LlamaShape } from "./presets.ts";
import { seededUniform } from "./random.ts";
import { tensorDims } from "./tensors.ts";

/** Produces one fp32 tensor (HF layout) by name; called once per file that needs it. */
export interface WeightSource {
  get(name: string): Float32Array;
}

const isNorm = (name: string) => name.endsWith("norm.weight");

/**
 * Seeded random weights: uniform in ±`range` (±0.0346 has HF's std 0.02), norm weights
 * uniform in 1 ± 0.2 so that tests see them applied.
 *
 * @example
 * ```ts
 * randomWeights(shape, 7, 0.25).get("model.norm.weight");
 * ```
 */
export function randomWeights(shape: LlamaShape, seed: number, range: number): WeightSource {
  return {
    get(name) {
      const n = tensorDims(shape, name).reduce((a, b) => a * b, 1);
      return isNorm(name)
        ? seededUniform(seed, name, n, 0.2, 1)
        : seededUniform(seed, name, n, range);
    },
  };
}

/** Token bigram statistics of a corpus. */
export interface BigramCounts {
  vocabSize: number;
  /** counts[prev * vocabSize + next]. */
  pairs: Uint32Array;
  /** How often each token occurs. */
  unigrams: Uint32Array;
}

/** Counts bigrams inside each token sequence (never across sequences). */
export function countBigrams(sequences: number[][], vocabSize: number): BigramCounts {
  const pairs = new Uint32Array(vocabSize * vocabSize);
  const unigrams = new Uint32Array(vocabSize);
  for (const seq of sequences) {
    for (let i = 0; i < seq.length; i++) {
      unigrams[seq[i]]++;
      if (i + 1 < seq.length) pairs[seq[i] * vocabSize + seq[i + 1]]++;
    }
  }
  return { vocabSize, pairs, unigrams };
}

/** Smoothing of the bigram log-probabilities (see {@link bigramLogits}). */
export const BIGRAM_ALPHA = 0.5;
const FLOOR = 1e-6;
const MARGIN = 1e-3;

/**
 * The lm_head table of the `tiny` model: logits[next][prev] =
 * log((c(prev,next) + α·u(next)/N + ε) / Z(prev)), i.e. smoothed bigram log-probabilities,
 * so sampling at temperature 1 samples the bigram model. α < 1 keeps the greedy choice
 * = most frequent successor, ties broken by the more frequent token, then the smaller id;
 * the winner is lifted by at least 1e-3 over the rest so float rounding can never change it.
 * Returned in HF layout [vocab (next), vocab (prev)].
 */
export function bigramLogits(c: BigramCounts): Float32Array {
  const V = c.vocabSize;
  let total = 0;
  for (const u of c.unigrams) total += u;
  const out = new Float32Array(V * V);
  const row = new Float64Array(V);
  for (let prev = 0; prev < V; prev++) {
    let z = 0;
    let best = 0;
    for (let next = 0; next < V; next++) {
      const cnt = c.pairs[prev * V + next];
      row[next] = cnt + (BIGRAM_ALPHA * c.unigrams[next]) / Math.max(total, 1) + FLOOR;
      z += row[next];
      const bc = c.pairs[prev * V + best];
      if (cnt > bc || (cnt === bc && c.unigrams[next] > c.unigrams[best])) best = next;
    }
    let others = -Infinity;
    for (let next = 0; next < V; next++) {
      const l = Math.fround(Math.log(row[next] / z));
      out[next * V + prev] = l;
      if (next !== best && l > others) others = l;
    }
    const top = out[best * V + prev];
    if (top < others + MARGIN) out[best * V + prev] = others + MARGIN;
  }
  return out;
}

/**
 * The `tiny` preset's weights (hidden size = vocab size): one-hot embeddings, attention and
 * MLP outputs zeroed (o_proj and down_proj are 0, q/k/v/gate/up seeded random so the graph
 * still computes real attention and a real KV cache), final norm weight sqrt(1/V + eps) so the
 * normalized state is the one-hot vector again, lm_head = {@link bigramLogits}.
 * The residual stream therefore carries the current token and logits = log p(next | token).
 */
export function bigramWeights(shape: LlamaShape, seed: number, counts: BigramCounts): WeightSource {
  const V = shape.vocab_size;
  if (shape.hidden_size !== V || counts.vocabSize !== V) {
    throw new Error("bigram weights need hidden_size = vocab_size");
  }
  const random = randomWeights(shape, seed, 0.05);
  let head: Float32Array | null = null;
  return {
    get(name) {
      const n = tensorDims(shape, name).reduce((a, b) => a * b, 1);
      if (name === "model.embed_tokens.weight") {
        const e = new Float32Array(n);
        for (let t = 0; t < V; t++) e[t * V + t] = 1;
        return e;
      }
      if (name === "lm_head.weight") return (head ??= bigramLogits(counts)).slice();
      if (name === "model.norm.weight") {
        return new Float32Array(n).fill(Math.sqrt(1 / V + shape.rms_norm_eps));
      }
      if (isNorm(name)) return new Float32Array(n).fill(1);
      if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) {
        return new Float32Array(n);
      }
      return random.get(name);
    },
  };
}
