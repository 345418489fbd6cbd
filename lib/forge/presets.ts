/**
 * The forge's presets: Llama hyper-parameters (HF config names) and how weights are made.
 *
 * @module
 */
import { type Dtype, HUB_SHAPES, type LlamaShape } from "../core/types.ts";
import { ForgeError } from "./errors.ts";

export type { LlamaShape };

/** Weight formats the forge writes, as transformers.js names them. */
export type ForgeDtype = Dtype;

/**
 * What kit-es is, in one line (shown wherever offline text appears). The parameter count is
 * checked against the preset's shape by tests/kit_es_test.ts.
 */
export const KIT_ES_NOTE =
  "kit-es: un Llama de 15,7 M de parámetros entrenado por el kit con su propio corpus del " +
  "curso; solo sabe de ese corpus";

/** A preset: a shape, how its weights are made and what is written by default. */
export interface Preset {
  name: string;
  description: string;
  shape: LlamaShape;
  /**
   * "bigram": weights encode the corpus bigram model (hidden = vocab); "random": seeded;
   * "trained": read from the committed safetensors in `trainedDir` (hash-checked).
   */
  weights: "bigram" | "random" | "trained";
  /** Folder (relative to the project root) of a trained preset's weights and tokenizer. */
  trainedDir?: string;
  seed: number;
  /** BPE merges budget: the trained tokenizer has at most this many tokens (then padding). */
  tokenizerSize: number;
  /** dtypes built when none are requested. */
  defaultDtypes: ForgeDtype[];
  /** Whether model.safetensors (fp32) is written by default. */
  defaultSafetensors: boolean;
}

/** The presets the forge knows. */
export const PRESETS: Record<string, Preset> = {
  "kit-es": {
    name: "kit-es",
    description: "Llama pequeño entrenado por el kit con su corpus del curso (el modelo offline)",
    shape: {
      vocab_size: 4096,
      hidden_size: 384,
      intermediate_size: 1024,
      num_hidden_layers: 8,
      num_attention_heads: 6,
      num_key_value_heads: 2,
      max_position_embeddings: 512,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
    },
    weights: "trained",
    trainedDir: "data/kit_es/model",
    seed: 0,
    tokenizerSize: 4096,
    defaultDtypes: ["fp32", "fp16", "q8", "q4"],
    defaultSafetensors: true,
  },
  "tiny": {
    name: "tiny",
    description: "bigramas del corpus español (hidden = vocab), para demos y tests",
    shape: {
      vocab_size: 1024,
      hidden_size: 1024,
      intermediate_size: 256,
      num_hidden_layers: 2,
      num_attention_heads: 16,
      num_key_value_heads: 4,
      max_position_embeddings: 2048,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
    },
    weights: "bigram",
    seed: 1,
    tokenizerSize: 1024,
    defaultDtypes: ["fp32", "fp16", "q8", "q4"],
    defaultSafetensors: true,
  },
  "tiny-random": {
    name: "tiny-random",
    description: "pesos aleatorios pequeños con GQA, para tests numéricos",
    shape: {
      vocab_size: 1024,
      hidden_size: 64,
      intermediate_size: 160,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 512,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
    },
    weights: "random",
    seed: 2,
    tokenizerSize: 1024,
    defaultDtypes: ["fp32", "fp16", "q8", "q4"],
    defaultSafetensors: true,
  },
  "tinyllama-1.1b": {
    name: "tinyllama-1.1b",
    description: "forma de TinyLlama-1.1B con pesos aleatorios",
    shape: HUB_SHAPES["tinyllama-1.1b"],
    weights: "random",
    seed: 3,
    tokenizerSize: 1024,
    defaultDtypes: ["fp32", "fp16", "q8", "q4"],
    defaultSafetensors: true,
  },
  "llama-2-7b": {
    name: "llama-2-7b",
    description: "forma de Llama-2-7B con pesos aleatorios",
    shape: HUB_SHAPES["llama-2-7b"],
    weights: "random",
    seed: 4,
    tokenizerSize: 1024,
    defaultDtypes: ["q8", "q4"],
    defaultSafetensors: false,
  },
};

/**
 * Returns the preset called `name`, or throws a {@link ForgeError} listing the known ones.
 *
 * @example
 * ```ts
 * getPreset("tiny").shape.vocab_size; // 1024
 * ```
 */
export function getPreset(name: string): Preset {
  const preset = PRESETS[name];
  if (!preset) {
    throw new ForgeError(
      `Preset desconocido: "${name}". Presets disponibles: ${Object.keys(PRESETS).join(", ")}.`,
    );
  }
  return preset;
}

/** Size of one attention head. */
export function headDim(s: LlamaShape): number {
  return s.hidden_size / s.num_attention_heads;
}

/**
 * Throws a {@link ForgeError} when the shape is impossible (heads not dividing hidden, KV heads
 * not dividing heads, odd head size for RoPE, non-positive sizes).
 *
 * @example
 * ```ts
 * validateShape(getPreset("tiny").shape); // ok
 * ```
 */
export function validateShape(s: LlamaShape): void {
  for (const [k, v] of Object.entries(s)) {
    if (!(typeof v === "number" && Number.isFinite(v) && v > 0)) {
      throw new ForgeError(`Forma imposible: ${k} = ${v} (debe ser un número positivo).`);
    }
  }
  const ints: (keyof LlamaShape)[] = [
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
  ];
  for (const k of ints) {
    if (!Number.isInteger(s[k])) {
      throw new ForgeError(`Forma imposible: ${k} = ${s[k]} no es entero.`);
    }
  }
  if (s.hidden_size % s.num_attention_heads !== 0) {
    throw new ForgeError(
      `Forma imposible: num_attention_heads (${s.num_attention_heads}) no divide a hidden_size (${s.hidden_size}).`,
    );
  }
  if (s.num_attention_heads % s.num_key_value_heads !== 0) {
    throw new ForgeError(
      `Forma imposible: num_key_value_heads (${s.num_key_value_heads}) no divide a num_attention_heads (${s.num_attention_heads}).`,
    );
  }
  if (headDim(s) % 2 !== 0) {
    throw new ForgeError(
      `Forma imposible: la dimensión de cabeza (${headDim(s)}) debe ser par (RoPE).`,
    );
  }
}
