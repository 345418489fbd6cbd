/**
 * The hidden states of kit-es, computed in plain TypeScript from its committed weights (the
 * Llama forward of Hugging Face: RMSNorm, RoPE, grouped-query attention, SwiGLU), so that the
 * LLM.int8() idea can be measured on the kit's own trained model: the inputs of each linear
 * layer on real validation text, and that layer's weights. Small on purpose (a few sequences
 * of ≤ 128 tokens: well under a second per sequence for 15,7 M parameters).
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";
import { loadKitEsCorpus, splitKitEs } from "./kit_es_corpus.ts";
import { loadChatTokenizer, valSequences } from "./kit_es_data.ts";
import { getPreset } from "./presets.ts";
import { trainedWeights } from "./trained.ts";
import { int8MatmulError, outlierFeatures } from "../measure/outliers.ts";

/** The input of one linear layer on real text, with the layer's weight (out × in, fp32). */
export interface LinearInputs {
  /** e.g. "model.layers.7.mlp.down_proj". */
  name: string;
  /** One row per token: the vector the layer multiplies. */
  inputs: Float32Array[];
  /** Weight, row-major `outFeatures × inFeatures`. */
  weight: Float32Array;
  outFeatures: number;
  inFeatures: number;
}

/** What {@link kitEsActivations} returns: the linear layers' inputs and the check it ran. */
export interface KitEsActivations {
  layers: LinearInputs[];
  tokens: number;
  /** Perplexity of the same forward on the same text (a check that the forward is kit-es's). */
  perplexity: number;
}

const rmsNorm = (x: Float32Array, g: Float32Array, eps: number) => {
  let s = 0;
  for (const v of x) s += v * v;
  const r = 1 / Math.sqrt(s / x.length + eps);
  return x.map((v, i) => v * r * g[i]);
};

/** y = W·x for W row-major out × in (four running sums per row: shorter dependency chains). */
function matVec(w: Float32Array, x: Float32Array, out: number): Float32Array {
  const n = x.length;
  const n4 = n - (n % 4);
  const y = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let [s0, s1, s2, s3] = [0, 0, 0, 0];
    const base = o * n;
    for (let i = 0; i < n4; i += 4) {
      s0 += w[base + i] * x[i];
      s1 += w[base + i + 1] * x[i + 1];
      s2 += w[base + i + 2] * x[i + 2];
      s3 += w[base + i + 3] * x[i + 3];
    }
    for (let i = n4; i < n; i++) s0 += w[base + i] * x[i];
    y[o] = (s0 + s1) + (s2 + s3);
  }
  return y;
}

/** RoPE as Hugging Face's Llama applies it (rotate_half: pairs i and i + d/2). */
function rope(v: Float32Array, heads: number, d: number, pos: number, theta: number) {
  const half = d / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const a = pos / theta ** ((2 * i) / d);
      const [c, s] = [Math.cos(a), Math.sin(a)];
      const [x1, x2] = [v[h * d + i], v[h * d + i + half]];
      v[h * d + i] = x1 * c - x2 * s;
      v[h * d + i + half] = x2 * c + x1 * s;
    }
  }
}

/**
 * Runs kit-es on `sequences` validation sequences (at most `maxTokens` tokens each) and
 * returns, for every linear layer, its inputs and weight, plus the perplexity of that forward
 * on the text (a test checks it against a float64 reference forward of the same weights; on
 * the default four sequences the committed weights give about 400, and `deno task eval-model`
 * about 860 on the whole validation split).
 *
 * @example
 * ```ts
 * const a = await kitEsActivations({ sequences: 2 });
 * a.layers.find((l) => l.name.endsWith("7.mlp.down_proj"))!.inputs.length; // tokens
 * ```
 */
export async function kitEsActivations(
  { sequences = 4, maxTokens = 128, texts }: {
    sequences?: number;
    maxTokens?: number;
    /** Token ids to run instead of the validation split (loss counted from `lossFrom`). */
    texts?: { ids: number[]; lossFrom: number }[];
  } = {},
): Promise<KitEsActivations> {
  const preset = getPreset("kit-es");
  const s = preset.shape as unknown as Record<string, number>;
  const dir = join(ROOT, "data", "kit_es", "model");
  const w = await trainedWeights(dir, preset.shape);
  const seqs = texts ??
    valSequences(await loadChatTokenizer(dir), splitKitEs(await loadKitEsCorpus()).val)
      .slice(0, sequences);
  const [hidden, layersN, heads, kvHeads] = [
    s.hidden_size,
    s.num_hidden_layers,
    s.num_attention_heads,
    s.num_key_value_heads ?? s.num_attention_heads,
  ];
  const d = hidden / heads;
  const inter = s.intermediate_size;
  const eps = s.rms_norm_eps ?? 1e-5;
  const theta = s.rope_theta ?? 10000;
  const vocab = s.vocab_size;
  const embed = w.get("model.embed_tokens.weight");
  const lmHead = w.get("lm_head.weight");
  const finalNorm = w.get("model.norm.weight");
  const layers: LinearInputs[] = [];
  const collect = new Map<string, LinearInputs>();
  const linear = (name: string, out: number, inF: number) => {
    let l = collect.get(name);
    if (!l) {
      l = { name, inputs: [], weight: w.get(`${name}.weight`), outFeatures: out, inFeatures: inF };
      collect.set(name, l);
      layers.push(l);
    }
    return (x: Float32Array) => (l!.inputs.push(x), matVec(l!.weight, x, out));
  };
  let nll = 0;
  let scored = 0;
  let tokens = 0;
  for (const seq of seqs) {
    const ids = seq.ids.slice(0, maxTokens);
    tokens += ids.length;
    const keys: Float32Array[][] = Array.from({ length: layersN }, () => []);
    const values: Float32Array[][] = Array.from({ length: layersN }, () => []);
    for (let pos = 0; pos < ids.length; pos++) {
      let h = embed.slice(ids[pos] * hidden, (ids[pos] + 1) * hidden);
      for (let l = 0; l < layersN; l++) {
        const p = `model.layers.${l}`;
        const x = rmsNorm(h, w.get(`${p}.input_layernorm.weight`), eps);
        const q = linear(`${p}.self_attn.q_proj`, hidden, hidden)(x);
        const k = linear(`${p}.self_attn.k_proj`, kvHeads * d, hidden)(x);
        const v = linear(`${p}.self_attn.v_proj`, kvHeads * d, hidden)(x);
        rope(q, heads, d, pos, theta);
        rope(k, kvHeads, d, pos, theta);
        keys[l].push(k);
        values[l].push(v);
        const attn = new Float32Array(hidden);
        for (let hh = 0; hh < heads; hh++) {
          const kv = Math.floor(hh / (heads / kvHeads));
          const scores = keys[l].map((kk) => {
            let dot = 0;
            for (let i = 0; i < d; i++) dot += q[hh * d + i] * kk[kv * d + i];
            return dot / Math.sqrt(d);
          });
          const m = Math.max(...scores);
          const e = scores.map((sc) => Math.exp(sc - m));
          const z = e.reduce((a, b) => a + b, 0);
          for (let t = 0; t < e.length; t++) {
            const p2 = e[t] / z;
            for (let i = 0; i < d; i++) attn[hh * d + i] += p2 * values[l][t][kv * d + i];
          }
        }
        const o = linear(`${p}.self_attn.o_proj`, hidden, hidden)(attn);
        h = h.map((v2, i) => v2 + o[i]);
        const x2 = rmsNorm(h, w.get(`${p}.post_attention_layernorm.weight`), eps);
        const g = linear(`${p}.mlp.gate_proj`, inter, hidden)(x2);
        const u = linear(`${p}.mlp.up_proj`, inter, hidden)(x2);
        const a = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
        const down = linear(`${p}.mlp.down_proj`, hidden, inter)(a);
        h = h.map((v2, i) => v2 + down[i]);
      }
      if (pos + 1 < ids.length && pos + 1 >= seq.lossFrom) {
        const logits = matVec(lmHead, rmsNorm(h, finalNorm, eps), vocab);
        const m = Math.max(...logits);
        const lse = m + Math.log(logits.reduce((acc, v2) => acc + Math.exp(v2 - m), 0));
        nll += lse - logits[ids[pos + 1]];
        scored++;
      }
    }
  }
  return { layers, tokens, perplexity: Math.exp(nll / Math.max(1, scored)) };
}

/** LLM.int8() on kit-es: which linear layers have outlier features, and what keeping them does. */
export interface KitEsInt8 {
  tokens: number;
  perplexity: number;
  /** Linear layers looked at. */
  linearLayers: number;
  /** Largest |input| seen by any linear layer. */
  maxAbs: number;
  /** The threshold of the paper (|x| ≥ 6). */
  threshold: number;
  /** Layers with at least one outlier feature: the error without and with the decomposition. */
  withOutliers: { name: string; features: number; errorPlain: number; errorKept: number }[];
  /** Median relative int8 error over all linear layers (no decomposition). */
  medianErrorPlain: number;
}

/**
 * Measures LLM.int8() on kit-es's own linear layers and real validation text: every layer's
 * int8 error (vector-wise absmax), and, where some input feature reaches |x| ≥ 6, the error
 * when those features are multiplied in full precision.
 *
 * @example
 * ```ts
 * const r = await kitEsInt8({ sequences: 2 });
 * r.withOutliers.length <= r.linearLayers; // true
 * ```
 */
export async function kitEsInt8(
  { sequences = 4, maxTokens = 128, threshold = 6 } = {},
): Promise<KitEsInt8> {
  const a = await kitEsActivations({ sequences, maxTokens });
  let maxAbs = 0;
  const plain: number[] = [];
  const withOutliers: KitEsInt8["withOutliers"] = [];
  for (const l of a.layers) {
    for (const x of l.inputs) for (const v of x) maxAbs = Math.max(maxAbs, Math.abs(v));
    const errorPlain = int8MatmulError(l.inputs, l.weight, l.outFeatures, l.inFeatures);
    plain.push(errorPlain);
    const keep = outlierFeatures(l.inputs, threshold);
    if (keep.length) {
      const errorKept = int8MatmulError(l.inputs, l.weight, l.outFeatures, l.inFeatures, keep);
      withOutliers.push({ name: l.name, features: keep.length, errorPlain, errorKept });
    }
  }
  plain.sort((x, y) => x - y);
  return {
    tokens: a.tokens,
    perplexity: a.perplexity,
    linearLayers: a.layers.length,
    maxAbs,
    threshold,
    withOutliers,
    medianErrorPlain: plain[Math.floor(plain.length / 2)],
  };
}
