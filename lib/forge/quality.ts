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

/**
 * Words of a text: lower-case runs of letters and digits; runs with a digit (fp16, 7b, 2048)
 * are not words and are left out.
 */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !/\p{N}/u.test(w));
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
 * Technical terms of the course that a Spanish dictionary does not know (lower case): the
 * hardware, formats, tools and API names the corpus uses. Runs with digits (fp16, 7b) are not
 * words at all (see {@link words}).
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
  "huggingface",
  "hub",
  "transformers",
  "pipeline",
  "onnx",
  "onnxruntime",
  "webgpu",
  "cuda",
  "vulkan",
  "colab",
  "deno",
  "jupyter",
  "kernel",
  "notebook",
  "notebooks",
  "python",
  "typescript",
  "js",
  "npm",
  "gb",
  "gib",
  "mb",
  "mib",
  "kb",
  "kib",
  "tb",
  "ghz",
  "ddr",
  "pcie",
  "hbm",
  "token",
  "tokens",
  "tokenizador",
  "prompt",
  "prompts",
  "batch",
  "softmax",
  "logits",
  "embeddings",
  "rmsnorm",
  "swiglu",
  "rope",
  "gqa",
  "bitsandbytes",
  "accelerate",
  "checkpointing",
  "gguf",
  "safetensors",
  "modelfile",
  "lpu",
  "ttft",
  "rss",
  "dtype",
  "device",
  "greedy",
  "streaming",
  "stream",
  "ndjson",
  "json",
  "sdk",
  "script",
  "scripts",
  "curl",
  "nohup",
  "pkill",
  "zstd",
  "hardware",
  "host",
  "localhost",
  "offline",
  "online",
  "nvidia",
  "nf",
  "nanosegundos",
  "google",
  "eval",
  "duration",
  "serve",
  "pull",
  "env",
  "chat",
  "system",
  "bf",
];

/**
 * Share of the words of `texts` that are Spanish: not in `unknown` (what a Spanish spelling
 * dictionary rejected) or in `terms` (the course's technical terms).
 *
 * @example
 * ```ts
 * spanishWordRatio(["la casa xyzzy gpu"], new Set(["xyzzy", "gpu"])); // 0.75
 * ```
 */
export function spanishWordRatio(
  texts: string[],
  unknown: Set<string>,
  terms: readonly string[] = COURSE_TERMS,
): number {
  const extra = new Set(terms);
  let ok = 0, total = 0;
  for (const t of texts) {
    for (const w of words(t)) {
      total++;
      if (!unknown.has(w) || extra.has(w)) ok++;
    }
  }
  return total ? ok / total : 1;
}

/** The Spanish dictionary used: Debian's hunspell-es (es_ES), through the hunspell CLI. */
export const HUNSPELL_DICT = "es_ES";

/**
 * The words among `list` that hunspell's Spanish dictionary does not know (lower case).
 * Throws when hunspell or its Spanish dictionary is missing.
 */
export async function unknownSpanishWords(list: Iterable<string>): Promise<Set<string>> {
  const input = [...new Set(list)].join("\n") + "\n";
  const child = new Deno.Command("hunspell", {
    args: ["-d", HUNSPELL_DICT, "-i", "utf-8", "-l"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  const err = new TextDecoder().decode(stderr);
  if (!success || /can't open|Can't open/i.test(err)) {
    throw new Error(`hunspell -d ${HUNSPELL_DICT} falló: ${err.trim()}`);
  }
  return new Set(new TextDecoder().decode(stdout).split("\n").map((w) => w.trim()).filter(Boolean));
}

/** Chat-template markers that must never appear inside an answer. */
export const TEMPLATE_MARKERS: readonly string[] = ["[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"];

/** Share of answers that contain a chat-template marker (the model started a new turn). */
export function templateLeakRatio(answers: string[]): number {
  const leaks = answers.filter((a) => TEMPLATE_MARKERS.some((m) => a.includes(m))).length;
  return answers.length ? leaks / answers.length : 0;
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
  /** Share of answers that contain a chat-template marker. */
  templateLeaks: number;
  /** Share of answers on their question's topic (see topic.ts). */
  onTopic: number;
  answers: string[];
}
