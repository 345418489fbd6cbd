/**
 * The kit-es course corpus (data/kit_es/): prose in `texto/*.txt` (paragraphs separated by
 * blank lines) and question–answer groups in `qa/*.jsonl` (one group per line:
 * `{id, tema, preguntas: [3–4 phrasings], respuesta}`), and its deterministic split into
 * training and validation: whole Q&A groups and whole paragraphs, chosen by the SHA-256 of the
 * group id / paragraph text, so the same corpus always gives the same split.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";
import { splitParagraphs } from "./corpus.ts";
import { ForgeError } from "./errors.ts";

/** Folder of the kit-es corpus, tokenizer and weights. */
export const KIT_ES_DIR: string = join(ROOT, "data", "kit_es");

/** One question–answer group: several phrasings of one question, one answer. */
export interface QaGroup {
  id: string;
  tema: string;
  preguntas: string[];
  respuesta: string;
}

/** A prose paragraph and the file it comes from. */
export interface ProseParagraph {
  file: string;
  text: string;
}

/** The whole corpus as read from disk. */
export interface KitEsCorpus {
  paragraphs: ProseParagraph[];
  groups: QaGroup[];
}

/** Fractions kept for validation (by hash, so about these values). */
export const VAL_FRACTIONS = { qa: 0.12, prose: 0.08 } as const;

/** A position in [0, 1) from the SHA-256 of a string (first 32 bits). */
export function hashUnit(s: string): number {
  const h = createHash("sha256").update(s).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

/** Short SHA-256 (16 hex digits) of a paragraph, the name the split file uses for it. */
export function paragraphKey(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

async function listFiles(dir: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(ext)) out.push(join(dir, e.name));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

/** Parses one JSONL file of Q&A groups, with the file and line in every error. */
export function parseQaJsonl(text: string, file: string): QaGroup[] {
  const groups: QaGroup[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let g: QaGroup;
    try {
      g = JSON.parse(line);
    } catch (e) {
      throw new ForgeError(`${file}:${i + 1}: JSON inválido (${(e as Error).message}).`);
    }
    const ok = typeof g.id === "string" && typeof g.respuesta === "string" &&
      Array.isArray(g.preguntas) && g.preguntas.length > 0 &&
      g.preguntas.every((p) => typeof p === "string" && p.trim().length > 0) &&
      g.respuesta.trim().length > 0;
    if (!ok) {
      throw new ForgeError(
        `${file}:${i + 1}: un grupo necesita id, preguntas (lista no vacía) y respuesta.`,
      );
    }
    groups.push({
      id: g.id,
      tema: g.tema ?? "",
      preguntas: g.preguntas.map((p) => p.replace(/\s+/g, " ").trim()),
      respuesta: g.respuesta.replace(/\s+/g, " ").trim(),
    });
  });
  return groups;
}

/**
 * Reads the prose of `textoDirs` and the Q&A of `qaDirs` (default: data/kit_es/texto and
 * data/kit_es/qa). Duplicate group ids are an error (they would break the split).
 */
export async function loadKitEsCorpus(
  textoDirs: string[] = [join(KIT_ES_DIR, "texto")],
  qaDirs: string[] = [join(KIT_ES_DIR, "qa")],
): Promise<KitEsCorpus> {
  const paragraphs: ProseParagraph[] = [];
  for (const dir of textoDirs) {
    for (const f of await listFiles(dir, ".txt")) {
      const name = f.split("/").at(-1)!;
      for (const text of splitParagraphs(await Deno.readTextFile(f))) {
        paragraphs.push({ file: name, text });
      }
    }
  }
  const groups: QaGroup[] = [];
  const seen = new Set<string>();
  for (const dir of qaDirs) {
    for (const f of await listFiles(dir, ".jsonl")) {
      for (const g of parseQaJsonl(await Deno.readTextFile(f), f)) {
        if (seen.has(g.id)) throw new ForgeError(`${f}: id de grupo repetido «${g.id}».`);
        seen.add(g.id);
        groups.push(g);
      }
    }
  }
  if (paragraphs.length === 0 && groups.length === 0) {
    throw new ForgeError(
      `No hay corpus de kit-es en ${textoDirs.join(", ")} ni en ${qaDirs.join(", ")}.`,
    );
  }
  return { paragraphs, groups };
}

/** The corpus divided into training and validation parts. */
export interface KitEsSplit {
  train: KitEsCorpus;
  val: KitEsCorpus;
}

/** Whether a group / paragraph belongs to validation (hash below the fraction). */
export const isValGroup = (g: QaGroup): boolean => hashUnit("qa:" + g.id) < VAL_FRACTIONS.qa;
/** Whether a paragraph belongs to validation. */
export const isValParagraph = (p: ProseParagraph): boolean =>
  hashUnit("prose:" + p.text) < VAL_FRACTIONS.prose;

/**
 * A question reduced for comparison: lower case, its runs of letters, digits and «%» joined by
 * single spaces (punctuation, hyphens and quotes ignored: «Llama-2-7B» equals «llama 2 7b»; «%»
 * kept, so the cell magic «%%deno» is not «Deno»).
 */
export function normalizeQuestion(q: string): string {
  return (q.toLowerCase().match(/[\p{L}\p{N}%]+/gu) ?? []).join(" ");
}

/**
 * Splits the corpus: whole Q&A groups (no answer of a validation group is trained on) and
 * whole paragraphs. A few phrasings occur in two groups ("¿Qué es kit-es?"); when one of them
 * is a training group, that phrasing is left out of the validation group, so no validation
 * question was ever seen in training either.
 *
 * @example
 * ```ts
 * const { train, val } = splitKitEs(await loadKitEsCorpus());
 * ```
 */
export function splitKitEs(c: KitEsCorpus): KitEsSplit {
  const trainGroups = c.groups.filter((g) => !isValGroup(g));
  const seen = new Set(trainGroups.flatMap((g) => g.preguntas.map(normalizeQuestion)));
  const valGroups = c.groups.filter(isValGroup)
    .map((g) => ({ ...g, preguntas: g.preguntas.filter((q) => !seen.has(normalizeQuestion(q))) }))
    .filter((g) => g.preguntas.length > 0);
  return {
    train: { paragraphs: c.paragraphs.filter((p) => !isValParagraph(p)), groups: trainGroups },
    val: { paragraphs: c.paragraphs.filter(isValParagraph), groups: valGroups },
  };
}

/** One validation question: a phrasing of a validation group, with that group's answer. */
export interface ValQuestion {
  id: string;
  question: string;
  answer: string;
}

/**
 * Every phrasing of the validation groups, taken in rounds: each group's first phrasing, then
 * each group's second, and so on. The first N are N different groups while N ≤ the groups; all
 * of them (about three per group) measure "on topic" with a third of the sampling noise of one
 * phrasing per group.
 *
 * @example
 * ```ts
 * validationQuestions(splitKitEs(await loadKitEsCorpus()).val).slice(0, 12);
 * ```
 */
export function validationQuestions(val: KitEsCorpus): ValQuestion[] {
  const out: ValQuestion[] = [];
  const rounds = Math.max(0, ...val.groups.map((g) => g.preguntas.length));
  for (let r = 0; r < rounds; r++) {
    for (const g of val.groups) {
      if (r < g.preguntas.length) {
        out.push({ id: g.id, question: g.preguntas[r], answer: g.respuesta });
      }
    }
  }
  return out;
}

/** The split as written to data/kit_es/split.json (reproducible, reviewable). */
export function splitManifest(s: KitEsSplit): Record<string, unknown> {
  const words = (c: KitEsCorpus) =>
    c.paragraphs.reduce((n, p) => n + p.text.split(" ").length, 0) +
    c.groups.reduce(
      (n, g) =>
        n + g.respuesta.split(" ").length +
        g.preguntas.reduce((m, q) => m + q.split(" ").length, 0),
      0,
    );
  return {
    rule: "validación = grupos con sha256('qa:'+id) < 0.12 y párrafos con " +
      "sha256('prose:'+texto) < 0.08 (primeros 32 bits / 2^32); de los grupos de " +
      "validación se quitan las formulaciones que también tiene un grupo de entrenamiento",
    counts: {
      trainGroups: s.train.groups.length,
      valGroups: s.val.groups.length,
      trainParagraphs: s.train.paragraphs.length,
      valParagraphs: s.val.paragraphs.length,
      trainWords: words(s.train),
      valWords: words(s.val),
    },
    valGroups: s.val.groups.map((g) => g.id),
    valParagraphs: s.val.paragraphs.map((p) => ({ file: p.file, sha256: paragraphKey(p.text) })),
  };
}
