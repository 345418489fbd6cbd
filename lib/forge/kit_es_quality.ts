/**
 * kit-es's quality per dtype on its validation split, in one call: what `deno task
 * eval-model` prints and what notebook 02 can show beside memory and speed (a smaller
 * `sequences` / `questions` budget keeps a notebook cell short).
 *
 * @module
 */
import { ensureModel } from "./ensure.ts";
import { loadKitEsCorpus, splitKitEs, validationQuestions } from "./kit_es_corpus.ts";
import { loadChatTokenizer, valSequences } from "./kit_es_data.ts";
import type { ForgeDtype } from "./presets.ts";
import { type DtypeQuality, unknownSpanishWords } from "./quality.ts";
import { measureQuality, type QualityQuestion } from "./quality_run.ts";

/** Options of {@link measureKitEsQuality}. */
export interface KitEsQualityOptions {
  /** Model folder (default: kit-es built from the committed weights). */
  dir?: string;
  /** Default fp32, fp16, q8, q4. */
  dtypes?: ForgeDtype[];
  /** At most this many validation sequences (default: all). */
  sequences?: number;
  /**
   * Validation questions answered greedily (default 40): the first of
   * {@link validationQuestions} (one phrasing per group first, then the groups' other phrasings).
   */
  questions?: number;
  /** New tokens per answer (default 48). */
  maxNewTokens?: number;
  /** Words a Spanish dictionary rejects (default: hunspell es_ES). */
  unknownWords?: (words: string[]) => Promise<Set<string>>;
  log?: (line: string) => void;
}

/** The measurement: one row per dtype, the questions, and how many sequences were scored. */
export interface KitEsQuality {
  dir: string;
  rows: DtypeQuality[];
  questions: QualityQuestion[];
  /** The corpus's own answers to the same questions (a baseline for the text figures). */
  referenceAnswers: string[];
  sequences: number;
}

/**
 * Measures kit-es per dtype on the validation split (sequences and questions training never
 * saw): perplexity, agreement with fp32, greedy answers.
 *
 * @example
 * ```ts
 * const q = await measureKitEsQuality({ sequences: 40, questions: 2 });
 * q.rows.map((r) => [r.dtype, r.perplexity]);
 * ```
 */
export async function measureKitEsQuality(opts: KitEsQualityOptions = {}): Promise<KitEsQuality> {
  const dir = opts.dir ?? await ensureModel("kit-es", { log: opts.log ?? (() => {}) });
  const split = splitKitEs(await loadKitEsCorpus());
  const tok = await loadChatTokenizer(dir);
  const sequences = valSequences(tok, split.val).slice(0, opts.sequences);
  const asked = validationQuestions(split.val).slice(0, opts.questions ?? 40);
  const questions = asked.map((q) => ({
    id: q.id,
    question: q.question,
    promptIds: tok.chat([{ role: "user", content: q.question }], true),
  }));
  const rows = await measureQuality(dir, {
    dtypes: opts.dtypes ?? ["fp32", "fp16", "q8", "q4"],
    sequences,
    questions,
    unknownWords: opts.unknownWords ?? unknownSpanishWords,
    maxNewTokens: opts.maxNewTokens,
    log: opts.log,
  });
  return {
    dir,
    rows,
    questions,
    referenceAnswers: asked.map((q) => q.answer),
    sequences: sequences.length,
  };
}
