/**
 * The Spanish corpus the kit ships (data/corpus_es.txt): the `tiny` model's tokenizer and
 * bigram weights come from it.
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";

/** Path of the corpus file. */
export const CORPUS_PATH: string = join(ROOT, "data", "corpus_es.txt");

/**
 * Splits a text into paragraphs (blank-line separated), each with its whitespace collapsed
 * to single spaces and trimmed. Bigrams never cross a paragraph boundary.
 *
 * @example
 * ```ts
 * splitParagraphs("Hola  mundo.\n\nAdiós."); // ["Hola mundo.", "Adiós."]
 * ```
 */
export function splitParagraphs(text: string): string[] {
  return text.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, " ").trim()).filter((p) => p.length);
}

/** Reads the corpus and returns its paragraphs. */
export async function loadCorpus(path: string = CORPUS_PATH): Promise<string[]> {
  return splitParagraphs(await Deno.readTextFile(path));
}
