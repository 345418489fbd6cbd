/**
 * kit-es training data: the tokenizer (the kit's BPE trained on the training split only) and
 * the token sequences the PyTorch script trains on. Chat examples are rendered and tokenized
 * by transformers.js itself — `apply_chat_template` of the very tokenizer files the model
 * ships with — so training sees exactly the tokens inference will feed.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { trainBpe } from "./bpe.ts";
import { ForgeError } from "./errors.ts";
import {
  type KitEsCorpus,
  type KitEsSplit,
  normalizeQuestion,
  type QaGroup,
  validationQuestions,
} from "./kit_es_corpus.ts";
import { questionVariants } from "./kit_es_augment.ts";
import { DECLINE_PHRASES, NOT_TOPIC, OUT_OF_SCOPE_PREFIX } from "./topic.ts";
import { specialTokensMapJson, tokenizerConfigJson, tokenizerJson } from "./tokenizer_files.ts";

/** Tokens of the kit-es tokenizer (within the 4 096–8 192). */
export const KIT_ES_VOCAB = 4096;

/** Context length of kit-es (max_position_embeddings). */
export const KIT_ES_CONTEXT = 512;

/** System prompts some chat examples carry (the kit's prompts use one like these). */
export const SYSTEM_PROMPTS = [
  "Eres un profesor de un curso sobre ejecución de modelos de lenguaje. Respondes en español, de forma clara y breve.",
  "Responde en español, de forma breve y correcta.",
  "Eres un asistente del curso de optimización de modelos de lenguaje.",
];

/** Chat messages as the kit passes them to `apply_chat_template`. */
export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };

/** One training or validation sequence: its tokens and where the loss starts. */
export interface Example {
  kind: "prose" | "qa";
  /** Group id (Q&A) or source file (prose). */
  source: string;
  ids: number[];
  /** Tokens before this index are context only (the question); prose: 0. */
  lossFrom: number;
}

/** The texts the BPE learns from: training prose and training Q&A in its chat form. */
export function tokenizerTexts(train: KitEsCorpus): string[] {
  const texts = train.paragraphs.map((p) => p.text);
  for (const g of train.groups) {
    for (const q of g.preguntas) texts.push(`[INST] ${q} [/INST] ${g.respuesta}`);
  }
  texts.push(`<<SYS>> ${SYSTEM_PROMPTS.join(" ")} <</SYS>>`);
  return texts;
}

const writeJson = (path: string, v: unknown) =>
  Deno.writeTextFile(path, JSON.stringify(v, null, 2) + "\n");

/**
 * Trains the kit-es BPE on the training split and writes tokenizer.json,
 * tokenizer_config.json and special_tokens_map.json into `dir`.
 */
export async function writeKitEsTokenizer(
  train: KitEsCorpus,
  dir: string,
  vocabSize = KIT_ES_VOCAB,
): Promise<void> {
  const bpe = trainBpe(tokenizerTexts(train), vocabSize);
  if (bpe.vocab.size !== vocabSize) {
    throw new ForgeError("el tokenizador no tiene el tamaño pedido");
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeJson(join(dir, "tokenizer.json"), tokenizerJson(bpe));
  await writeJson(join(dir, "tokenizer_config.json"), tokenizerConfigJson(KIT_ES_CONTEXT));
  await writeJson(join(dir, "special_tokens_map.json"), specialTokensMapJson());
}

/** What the data preparation needs from a tokenizer (transformers.js's, in practice). */
export interface ChatTokenizer {
  encode(text: string): number[];
  chat(messages: ChatMessage[], addGenerationPrompt: boolean): number[];
  eosId: number;
}

/** Loads the tokenizer files in `dir` with transformers.js (no network). */
export async function loadChatTokenizer(dir: string): Promise<ChatTokenizer> {
  const { env, AutoTokenizer } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(dir) + "/";
  const tok = await AutoTokenizer.from_pretrained(basename(dir));
  return {
    encode: (text) => tok.encode(text),
    chat: (messages, addGenerationPrompt) => {
      const r = tok.apply_chat_template(messages, {
        tokenize: true,
        add_generation_prompt: addGenerationPrompt,
        return_tensor: false,
      }) as unknown as number[] | { input_ids: number[] };
      return Array.isArray(r) ? r : r.input_ids;
    },
    eosId: tok.eos_token_id as number,
  };
}

/** Whether example `i` of a group carries a system prompt (about one in three, by position). */
function systemFor(g: QaGroup, i: number): string | null {
  const k = (g.id.length + i) % 3;
  return k === 0 ? SYSTEM_PROMPTS[(g.id.length + i) % SYSTEM_PROMPTS.length] : null;
}

/**
 * The examples of one Q&A group: each phrasing, rendered by the chat template as
 * user → assistant, loss from the first answer token. Throws when the prompt alone
 * (add_generation_prompt) is not a prefix of the full conversation: training and inference
 * would then see different tokens.
 */
export function qaExamples(tok: ChatTokenizer, g: QaGroup, first = 0): Example[] {
  return g.preguntas.map((q, i) => {
    const sys = systemFor(g, first + i);
    const prompt: ChatMessage[] = sys
      ? [{ role: "system", content: sys }, { role: "user", content: q }]
      : [{ role: "user", content: q }];
    const head = tok.chat(prompt, true);
    const ids = tok.chat([...prompt, { role: "assistant", content: g.respuesta }], false);
    if (head.some((t, k) => ids[k] !== t)) {
      throw new ForgeError(`${g.id}: la pregunta tokenizada no es prefijo de la conversación.`);
    }
    return { kind: "qa", source: g.id, ids, lossFrom: head.length };
  });
}

/** The examples of a corpus part: prose paragraphs (`<s>` text `</s>`) and Q&A. */
export function corpusExamples(tok: ChatTokenizer, c: KitEsCorpus): Example[] {
  const out: Example[] = c.paragraphs.map((p) => ({
    kind: "prose",
    source: p.file,
    ids: [...tok.encode(p.text), tok.eosId],
    lossFrom: 0,
  }));
  for (const g of c.groups) out.push(...qaExamples(tok, g));
  return out;
}

/** New phrasings made per training phrasing ({@link augmentedGroups}). */
export const AUGMENT_PER_QUESTION = 2;

/**
 * The training groups with only their made phrasings (lib/forge/kit_es_augment.ts): up to
 * {@link AUGMENT_PER_QUESTION} per phrasing, none equal (letters and digits, any case) to a
 * phrasing of the corpus, training or validation.
 */
export function augmentedGroups(split: KitEsSplit): QaGroup[] {
  const taken = new Set(
    [...split.train.groups, ...split.val.groups].flatMap((g) => g.preguntas.map(normalizeQuestion)),
  );
  return split.train.groups.map((g) => {
    const made: string[] = [];
    g.preguntas.forEach((q, i) => {
      for (const v of questionVariants(q, `${g.id}/${i}`, AUGMENT_PER_QUESTION)) {
        const key = normalizeQuestion(v);
        if (taken.has(key)) continue;
        taken.add(key);
        made.push(v);
      }
    });
    return { ...g, preguntas: made };
  }).filter((g) => g.preguntas.length > 0);
}

/** The dataset file the training script reads. */
export interface KitEsDataset {
  vocab_size: number;
  context: number;
  bos_id: number;
  eos_id: number;
  train: Example[];
  /** Made phrasings of the training questions (the script's `aug` option adds them). */
  train_aug: Example[];
  val: Example[];
  /** lib/forge/topic.ts's rule, for the training script's choice among variants. */
  topic_rule: { stopwords: string[]; declines: string[]; outOfScopePrefix: string };
  /** Validation questions (first phrasing) with their reference answers, for samples. */
  val_questions: { id: string; question: string; answer: string; prompt_ids: number[] }[];
}

/** Builds the dataset of a split with a loaded tokenizer. */
export function buildDataset(tok: ChatTokenizer, split: KitEsSplit): KitEsDataset {
  return {
    vocab_size: KIT_ES_VOCAB,
    context: KIT_ES_CONTEXT,
    bos_id: 1,
    eos_id: tok.eosId,
    train: corpusExamples(tok, split.train),
    train_aug: augmentedGroups(split).flatMap((g) => qaExamples(tok, g, 1)),
    val: corpusExamples(tok, split.val),
    topic_rule: {
      stopwords: [...NOT_TOPIC],
      declines: DECLINE_PHRASES,
      outOfScopePrefix: OUT_OF_SCOPE_PREFIX,
    },
    val_questions: validationQuestions(split.val).map((q) => ({
      ...q,
      prompt_ids: tok.chat([{ role: "user", content: q.question }], true),
    })),
  };
}

/** The validation sequences whose perplexity is measured (the same targets as training's val loss). */
export function valSequences(
  tok: ChatTokenizer,
  val: KitEsCorpus,
): { ids: number[]; lossFrom: number }[] {
  return corpusExamples(tok, val).map((e) => ({ ids: e.ids, lossFrom: e.lossFrom }));
}
