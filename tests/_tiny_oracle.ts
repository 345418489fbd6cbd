/**
 * Test oracle for the forge's `tiny` model, independent of the forge's weight code: the
 * greedy continuation that the corpus's own bigram counts predict (tests/forge_reference.ts),
 * tokenized by transformers.js with tiny's tokenizer.
 */
import { AutoTokenizer, env } from "@huggingface/transformers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CORPUS_PATH, ensureModel } from "../lib/forge/mod.ts";
import { bigramChain } from "./forge_reference.ts";

/** tiny's folder (built on first use). */
export const TINY_DIR = await ensureModel("tiny");
env.allowRemoteModels = false;
env.localModelPath = join(TINY_DIR, "..");
/** tiny's tokenizer, loaded by transformers.js. */
export const tokenizer = await AutoTokenizer.from_pretrained("tiny");

const sequences = readFileSync(CORPUS_PATH, "utf8").split(/\n\s*\n/)
  .map((p) => p.replace(/\s+/g, " ").trim()).filter(Boolean)
  .map((p) => tokenizer.encode(p, { add_special_tokens: false }));

/** The greedy continuation (generated text only) after the given token ids. */
export function continuationAfterIds(ids: number[], steps: number): string {
  return tokenizer.decode(bigramChain(sequences, ids.at(-1)!, steps), {
    skip_special_tokens: true,
  });
}

/** The greedy continuation (generated text only) of a plain prompt. */
export function continuation(prompt: string, steps: number): string {
  return continuationAfterIds(tokenizer.encode(prompt, { add_special_tokens: false }), steps);
}

/** The greedy continuation of a one-message chat, through tiny's chat template. */
export function chatContinuation(content: string, steps: number): string {
  const text = tokenizer.apply_chat_template([{ role: "user", content }], {
    tokenize: false,
    add_generation_prompt: true,
  }) as unknown as string;
  return continuationAfterIds(tokenizer.encode(text, { add_special_tokens: false }), steps);
}
