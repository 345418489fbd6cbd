/**
 * Quality of a forged model per dtype, measured: perplexity on the same validation tokens
 * (teacher forcing, loss on the answers of Q&A examples and on every token of prose), argmax
 * agreement with fp32 at those positions, and properties of greedy answers (distinct word
 * trigrams: loops; share of Spanish words).
 *
 * @module
 */
import type { ForgeDtype } from "./presets.ts";

/** A scored sequence: tokens, and the first position whose token counts in the loss. */
export interface ScoredSequence {
  ids: number[];
  /** Tokens before this index are context only (0 or 1: every token after `<s>`). */
  lossFrom: number;
}

/** Log-probability of `target` under `logits` (a numerically stable log-softmax). */
export function logProb(logits: ArrayLike<number>, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return logits[target] - max - Math.log(sum);
}

/** Index of the largest value (first one on ties). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Negative log-likelihood sum, target count and per-target argmax of one sequence. */
export interface SequenceScore {
  nll: number;
  count: number;
  argmax: number[];
}

/**
 * Scores one sequence from its logits rows (row t predicts token t+1): targets are the
 * tokens at positions ≥ max(1, lossFrom).
 */
export function scoreSequence(
  seq: ScoredSequence,
  row: (t: number) => ArrayLike<number>,
): SequenceScore {
  let nll = 0;
  const am: number[] = [];
  for (let t = Math.max(1, seq.lossFrom); t < seq.ids.length; t++) {
    const r = row(t - 1);
    nll -= logProb(r, seq.ids[t]);
    am.push(argmax(r));
  }
  return { nll, count: am.length, argmax: am };
}

/** Words of a text: lower-case runs of letters (digits and symbols split words). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/\p{L}+/gu) ?? [];
}

/**
 * Distinct word trigrams over all trigrams of each text, summed over the texts (1 = no
 * repetition inside any answer; a looping answer pulls it down). Texts with fewer than three
 * words add nothing.
 *
 * @example
 * ```ts
 * distinctTrigramRatio(["a b c a b c"]); // 3 distinct of 4 → 0.75
 * ```
 */
export function distinctTrigramRatio(texts: string[]): number {
  let distinct = 0, total = 0;
  for (const t of texts) {
    const w = words(t);
    const seen = new Set<string>();
    for (let i = 0; i + 2 < w.length; i++) seen.add(`${w[i]} ${w[i + 1]} ${w[i + 2]}`);
    distinct += seen.size;
    total += Math.max(0, w.length - 2);
  }
  return total ? distinct / total : 1;
}

/**
 * Technical terms of the course that a Spanish dictionary does not list (lower case). Words
 * with digits (fp16, 7b) never count as words at all.
 */
export const COURSE_TERMS: readonly string[] = [
  "gpu",
  "gpus",
  "cpu",
  "cpus",
  "vram",
  "ram",
  "kv",
  "llm",
  "llms",
  "api",
  "apis",
  "groq",
  "ollama",
  "llama",
  "tinyllama",
  "hugging",
  "face",
  "transformers",
  "pipeline",
  "onnx",
  "onnxruntime",
  "webgpu",
  "cuda",
  "colab",
  "deno",
  "bf",
  "fp",
  "int",
  "gb",
  "gib",
  "mb",
  "mib",
  "tb",
  "kb",
  "token",
  "tokens",
  "tokenizador",
  "tokenizadores",
  "prompt",
  "prompts",
  "batch",
  "softmax",
  "bitsandbytes",
  "accelerate",
  "gguf",
  "safetensors",
  "lpu",
  "lpus",
  "ttft",
  "tok",
  "dtype",
  "dtypes",
  "q",
  "kit",
  "es",
  "nvidia",
  "hbm",
  "flops",
  "byte",
  "bytes",
  "bits",
  "bit",
  "streaming",
  "stream",
  "json",
  "sdk",
  "url",
  "http",
  "localhost",
  "rest",
  "quantized",
  "cache",
  "offline",
  "online",
  "notebook",
  "notebooks",
  "jupyter",
  "python",
  "typescript",
  "javascript",
  "npm",
  "id",
  "eos",
  "bos",
  "inst",
  "sys",
  "mistral",
  "qwen",
  "gemma",
  "meta",
  "openai",
  "chatgpt",
  "gpt",
  "llamacpp",
  "cpp",
  "ggml",
  "awq",
  "gptq",
  "nf",
  "lora",
  "qlora",
  "embedding",
  "embeddings",
  "logits",
  "rope",
  "gqa",
  "mha",
  "mqa",
  "decode",
  "prefill",
  "benchmark",
  "benchmarks",
  "wifi",
  "cloud",
  "docker",
  "linux",
  "mac",
  "macos",
  "windows",
  "apple",
  "silicon",
  "metal",
  "ssd",
  "pcie",
  "nvlink",
  "h",
  "a",
  "t",
];

/**
 * Share of the words of `texts` found in `dictionary` (lower case) or in `terms`.
 *
 * @example
 * ```ts
 * spanishWordRatio(["la casa blanca xyzzy"], new Set(["la", "casa", "blanca"])); // 0.75
 * ```
 */
export function spanishWordRatio(
  texts: string[],
  dictionary: Set<string>,
  terms: readonly string[] = COURSE_TERMS,
): number {
  const extra = new Set(terms);
  let ok = 0, total = 0;
  for (const t of texts) {
    for (const w of words(t)) {
      total++;
      if (dictionary.has(w) || extra.has(w)) ok++;
    }
  }
  return total ? ok / total : 1;
}

/** Path of Debian's Spanish word list (package `wspanish`). */
export const SPANISH_DICT = "/usr/share/dict/spanish";

/** Reads a word list (one word a line) into a lower-case set. */
export async function loadDictionary(path: string = SPANISH_DICT): Promise<Set<string>> {
  const text = await Deno.readTextFile(path);
  return new Set(text.split("\n").map((w) => w.trim().toLowerCase()).filter(Boolean));
}

/** One dtype's figures. */
export interface DtypeQuality {
  dtype: ForgeDtype;
  perplexity: number;
  /** Mean negative log-likelihood per target token (nats). */
  nll: number;
  targets: number;
  /** Share of target positions whose argmax equals fp32's (null for fp32 itself). */
  argmaxAgreement: number | null;
  /** Share of greedy answers identical to fp32's (null for fp32 itself). */
  sameAnswer: number | null;
  distinctTrigrams: number;
  spanishWords: number;
  answers: string[];
}
