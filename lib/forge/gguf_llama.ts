/**
 * A forged Llama as llama.cpp's GGUF: tensor names and layout, hyper-parameters and the
 * tokenizer in the metadata, the weights in F32, F16, Q8_0 or Q4_0.
 *
 * - Names: Hugging Face's `model.layers.N.self_attn.q_proj.weight` is `blk.N.attn_q.weight`,
 *   etc. (the table below). A linear weight [out, in] keeps its bytes; GGUF lists its dims
 *   fastest first, [in, out].
 * - RoPE: Hugging Face rotates the two halves of each head (`rotate_half`); llama.cpp's
 *   Llama rotates adjacent pairs. So, as llama.cpp's own converter does, the rows of the Q
 *   and K projections are permuted inside each head: row 2i + j of the GGUF head is row
 *   j·d/2 + i of the Hugging Face head (j = 0, 1).
 * - Tokenizer: llama.cpp's "llama" (SentencePiece-style) model: tokens with scores and types.
 *   It merges the adjacent pair whose joined text is a token with the highest score; the
 *   forge's BPE merges by rank, so a merged token's score is minus its merge rank. Byte
 *   tokens `<0xNN>` are BYTE (the fallback), `<extra_N>` padding is UNUSED.
 * - Types: norms stay F32. q4_0 writes `output.weight` as Q8_0 (llama.cpp's own Q4_0 files
 *   keep it at higher precision too, Q6_K); everything else 2-D is in the file's type.
 *
 * @module
 */
import { type Bpe, byteToken, SPECIAL_TOKENS } from "./bpe.ts";
import type { GgmlTypeName, GgufTensor, GgufValue } from "./gguf_file.ts";
import { encodeGgml } from "./gguf_quant.ts";
import { headDim, type LlamaShape } from "./presets.ts";
import { llamaTensors } from "./tensors.ts";
import { LLAMA2_CHAT_TEMPLATE } from "./tokenizer_files.ts";
import type { WeightSource } from "./weights.ts";

/** The GGUF variants the forge writes (Ollama's names for them, lower case). */
export type GgufVariant = "f32" | "f16" | "q8_0" | "q4_0";

/** All variants, in build order. */
export const GGUF_VARIANTS: readonly GgufVariant[] = ["f32", "f16", "q8_0", "q4_0"];

/** The variants built when none are asked for. */
export const DEFAULT_GGUF_VARIANTS: readonly GgufVariant[] = ["f16", "q8_0", "q4_0"];

/** llama.cpp's `general.file_type` (enum llama_ftype) of each variant. */
export const GGUF_FILE_TYPE: Record<GgufVariant, number> = { f32: 0, f16: 1, q8_0: 7, q4_0: 2 };

/** The ggml type of the large matrices of each variant. */
export const GGUF_MATRIX_TYPE: Record<GgufVariant, GgmlTypeName> = {
  f32: "F32",
  f16: "F16",
  q8_0: "Q8_0",
  q4_0: "Q4_0",
};

/** llama.cpp's token types (enum llama_token_type). */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, UNUSED: 5, BYTE: 6 } as const;

/** The GGUF name of a Hugging Face Llama tensor. */
export function ggufTensorName(hf: string): string {
  const fixed: Record<string, string> = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
  };
  if (fixed[hf]) return fixed[hf];
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  const parts: Record<string, string> = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
  };
  if (!m || !parts[m[2]]) throw new Error(`no GGUF name for ${hf}`);
  return `blk.${m[1]}.${parts[m[2]]}`;
}

/**
 * Reorders the rows of a Q or K projection [heads · d, cols] from Hugging Face's RoPE layout
 * (halves) to llama.cpp's (adjacent pairs): out row 2i + j = in row j·d/2 + i, per head.
 *
 * @example
 * ```ts
 * permuteForRope(new Float32Array([0, 1, 2, 3]), 1, 1); // [0, 2, 1, 3]
 * ```
 */
export function permuteForRope(w: Float32Array, heads: number, cols: number): Float32Array {
  const d = w.length / cols / heads;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < d / 2; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * d + j * (d / 2) + i) * cols;
        const to = (h * d + 2 * i + j) * cols;
        out.set(w.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

/** The tokenizer arrays of the GGUF metadata: tokens by id, scores and types. */
export function ggufVocab(bpe: Bpe): { tokens: string[]; scores: Float32Array; types: Int32Array } {
  const n = bpe.vocab.size;
  const tokens = new Array<string>(n);
  for (const [t, id] of bpe.vocab) tokens[id] = t;
  const rank = new Map<string, number>();
  bpe.merges.forEach(([a, b], i) => {
    if (!rank.has(a + b)) rank.set(a + b, i);
  });
  const bytes = new Set(Array.from({ length: 256 }, (_, b) => byteToken(b)));
  const scores = new Float32Array(n);
  const types = new Int32Array(n);
  for (let id = 0; id < n; id++) {
    const t = tokens[id];
    scores[id] = rank.has(t) ? -rank.get(t)! : 0;
    if (t === "<unk>") types[id] = TOKEN_TYPE.UNKNOWN;
    else if ((SPECIAL_TOKENS as readonly string[]).includes(t)) types[id] = TOKEN_TYPE.CONTROL;
    else if (bytes.has(t)) types[id] = TOKEN_TYPE.BYTE;
    else if (/^<extra_\d+>$/.test(t)) types[id] = TOKEN_TYPE.UNUSED;
    else types[id] = TOKEN_TYPE.NORMAL;
  }
  return { tokens, scores, types };
}

/** The ggml type a Hugging Face tensor gets in a variant (see the module notes). */
export function ggufTensorType(hf: string, dims: number[], variant: GgufVariant): GgmlTypeName {
  if (dims.length === 1) return "F32";
  if (variant === "q4_0" && hf === "lm_head.weight") return "Q8_0";
  return GGUF_MATRIX_TYPE[variant];
}

/** What a GGUF file of a forged model holds: metadata and tensors (made lazily). */
export interface LlamaGguf {
  metadata: [string, GgufValue][];
  tensors: GgufTensor[];
}

const u32 = (value: number): GgufValue => ({ type: "u32", value });
const f32 = (value: number): GgufValue => ({ type: "f32", value });
const str = (value: string): GgufValue => ({ type: "string", value });
const bool = (value: boolean): GgufValue => ({ type: "bool", value });

/**
 * The GGUF of a Llama of `shape` with weights from `source` and tokenizer `bpe`, in `variant`.
 *
 * @example
 * ```ts
 * const { metadata, tensors } = llamaGguf("tiny", shape, bpe, source, "q8_0");
 * await writeGguf("tiny-q8_0.gguf", metadata, tensors);
 * ```
 */
export function llamaGguf(
  name: string,
  shape: LlamaShape,
  bpe: Bpe,
  source: WeightSource,
  variant: GgufVariant,
): LlamaGguf {
  const s = shape;
  const vocab = ggufVocab(bpe);
  const metadata: [string, GgufValue][] = [
    ["general.architecture", str("llama")],
    ["general.name", str(name)],
    ["general.file_type", u32(GGUF_FILE_TYPE[variant])],
    ["general.quantization_version", u32(2)],
    ["llama.vocab_size", u32(s.vocab_size)],
    ["llama.context_length", u32(s.max_position_embeddings)],
    ["llama.embedding_length", u32(s.hidden_size)],
    ["llama.block_count", u32(s.num_hidden_layers)],
    ["llama.feed_forward_length", u32(s.intermediate_size)],
    ["llama.rope.dimension_count", u32(headDim(s))],
    ["llama.rope.freq_base", f32(s.rope_theta)],
    ["llama.attention.head_count", u32(s.num_attention_heads)],
    ["llama.attention.head_count_kv", u32(s.num_key_value_heads)],
    ["llama.attention.layer_norm_rms_epsilon", f32(s.rms_norm_eps)],
    ["tokenizer.ggml.model", str("llama")],
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.bos_token_id", u32(bpe.vocab.get("<s>")!)],
    ["tokenizer.ggml.eos_token_id", u32(bpe.vocab.get("</s>")!)],
    ["tokenizer.ggml.unknown_token_id", u32(bpe.vocab.get("<unk>")!)],
    ["tokenizer.ggml.add_bos_token", bool(true)],
    ["tokenizer.ggml.add_eos_token", bool(false)],
    ["tokenizer.ggml.add_space_prefix", bool(false)],
    ["tokenizer.chat_template", str(LLAMA2_CHAT_TEMPLATE)],
  ];
  const tensors = llamaTensors(s).map((t): GgufTensor => {
    const type = ggufTensorType(t.name, t.dims, variant);
    return {
      name: ggufTensorName(t.name),
      dims: [...t.dims].reverse(),
      type,
      data() {
        let w = source.get(t.name);
        const cols = t.dims[t.dims.length - 1];
        if (t.name.endsWith("q_proj.weight")) w = permuteForRope(w, s.num_attention_heads, cols);
        if (t.name.endsWith("k_proj.weight")) w = permuteForRope(w, s.num_key_value_heads, cols);
        return encodeGgml(type, w);
      },
    };
  });
  return { metadata, tensors };
}
