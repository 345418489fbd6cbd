/**
 * Runs the quality measurement of a forged model folder with transformers.js: every dtype on
 * the same token sequences and the same questions (see quality.ts for the figures).
 *
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import { basename, dirname } from "node:path";
import type { ForgeDtype } from "./presets.ts";
import {
  distinctTrigramRatio,
  type DtypeQuality,
  type ScoredSequence,
  scoreSequence,
  spanishWordRatio,
  templateLeakRatio,
  words,
} from "./quality.ts";
import { onTopicRatio } from "./topic.ts";
import { halfToFloat } from "./quantize.ts";

/** A question to answer greedily: its chat-template prompt ids. */
export interface QualityQuestion {
  id: string;
  question: string;
  promptIds: number[];
}

/** Options of {@link measureQuality}. */
export interface QualityOptions {
  dtypes: ForgeDtype[];
  sequences: ScoredSequence[];
  questions: QualityQuestion[];
  /** Words a Spanish dictionary rejects (see unknownSpanishWords); measured per answer set. */
  unknownWords: (words: string[]) => Promise<Set<string>>;
  /** New tokens of each greedy answer (default 48). */
  maxNewTokens?: number;
  /** Context length: longer sequences are cut (default 512). */
  context?: number;
  /** Progress lines (Spanish); default none. */
  log?: (line: string) => void;
}

function floats(data: any): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return Float32Array.from(data, (h: number) => halfToFloat(h));
  return Float32Array.from(data as ArrayLike<number>);
}

/**
 * Loads `dir` once per dtype and measures perplexity, argmax agreement with fp32 (fp32 is
 * measured first when listed) and greedy answers.
 *
 * @example
 * ```ts
 * const rows = await measureQuality(dir, { dtypes: ["fp32"], sequences, questions, unknownWords: unknownSpanishWords });
 * ```
 */
export async function measureQuality(dir: string, opts: QualityOptions): Promise<DtypeQuality[]> {
  const { env, AutoModelForCausalLM, AutoTokenizer, Tensor } = await import(
    "@huggingface/transformers"
  );
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(dir) + "/";
  const id = basename(dir);
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const context = opts.context ?? 512;
  const maxNew = opts.maxNewTokens ?? 48;
  const log = opts.log ?? (() => {});
  const order = [...opts.dtypes].sort((a, b) => (a === "fp32" ? -1 : b === "fp32" ? 1 : 0));
  const rows: DtypeQuality[] = [];
  let refArgmax: number[][] | null = null;
  let refAnswers: string[] | null = null;
  const ids64 = (ids: number[]) =>
    new Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
  for (const dtype of order) {
    const t0 = performance.now();
    const model: any = await AutoModelForCausalLM.from_pretrained(id, { dtype });
    let nll = 0, count = 0, agree = 0;
    const argmaxes: number[][] = [];
    for (const [k, seq] of opts.sequences.entries()) {
      const ids = seq.ids.slice(0, context);
      const out = await model({
        input_ids: ids64(ids),
        attention_mask: new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [
          1,
          ids.length,
        ]),
      });
      const V = out.logits.dims.at(-1);
      const flat = floats(out.logits.data);
      const s = scoreSequence(
        { ids, lossFrom: seq.lossFrom },
        (t) => flat.subarray(t * V, (t + 1) * V),
      );
      nll += s.nll;
      count += s.count;
      argmaxes.push(s.argmax);
      if (refArgmax) agree += s.argmax.filter((a, i) => a === refArgmax![k][i]).length;
    }
    const answers: string[] = [];
    for (const q of opts.questions) {
      const out = await model.generate({
        input_ids: ids64(q.promptIds),
        attention_mask: new Tensor("int64", new BigInt64Array(q.promptIds.length).fill(1n), [
          1,
          q.promptIds.length,
        ]),
        max_new_tokens: maxNew,
        do_sample: false,
      });
      const all = Array.from(out.data as BigInt64Array, Number);
      answers.push(tokenizer.decode(all.slice(q.promptIds.length), { skip_special_tokens: true }));
    }
    await model.dispose();
    const row: DtypeQuality = {
      dtype,
      perplexity: Math.exp(nll / count),
      nll: nll / count,
      targets: count,
      argmaxAgreement: refArgmax ? agree / count : null,
      sameAnswer: refAnswers
        ? answers.filter((a, i) => a === refAnswers![i]).length / Math.max(1, answers.length)
        : null,
      distinctTrigrams: distinctTrigramRatio(answers),
      spanishWords: spanishWordRatio(answers, await opts.unknownWords(answers.flatMap(words))),
      templateLeaks: templateLeakRatio(answers),
      onTopic: onTopicRatio(opts.questions.map((q, i) => ({ ...q, answer: answers[i] }))),
      answers,
    };
    if (dtype === "fp32") {
      refArgmax = argmaxes;
      refAnswers = answers;
    }
    rows.push(row);
    log(
      `  ${dtype}: perplejidad ${row.perplexity.toFixed(2)} en ${count} tokens ` +
        `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  return rows;
}
