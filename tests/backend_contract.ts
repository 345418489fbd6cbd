/**
 * The backend contract every method keeps, checked on the forge's `tiny` model against an
 * independent oracle (the corpus bigram chain, tests/_tiny_oracle.ts): the exact greedy text,
 * streamed = generated, maxTokens honoured, token counts as tiny's tokenizer counts them,
 * consistent timings, and an abort that stops the stream within one token.
 */
import assert from "node:assert/strict";
import type { Backend, GenerationStream } from "../lib/core/types.ts";
import { chatContinuation, continuation, tokenizer } from "./_tiny_oracle.ts";

/** What the oracle expects of a backend for a prompt: its text, and its prompt tokens. */
export interface ContractOracle {
  /** The greedy continuation of `prompt`, `steps` tokens long. */
  text(prompt: string, steps: number): string;
  /** The prompt tokens the backend must report for `prompt`. */
  tokensIn(prompt: string): number;
}

/**
 * A plain prompt continued as is (methods 1–3: transformers.js, and Ollama's /api/generate with
 * `raw: true`, which the kit's backend sends for a string).
 */
export const PLAIN_PROMPT: ContractOracle = {
  text: continuation,
  tokensIn: (prompt) => tokenizer.encode(prompt).length,
};

/** A prompt sent as one user message through tiny's chat template (Groq's API is chat only). */
export const CHAT_PROMPT: ContractOracle = {
  text: chatContinuation,
  tokensIn: (prompt) => {
    const text = tokenizer.apply_chat_template([{ role: "user", content: prompt }], {
      tokenize: false,
      add_generation_prompt: true,
    }) as unknown as string;
    return tokenizer.encode(text, { add_special_tokens: false }).length;
  },
};

/** How a backend is checked: the oracle for its prompts, and whether it runs in this process. */
export interface ContractOptions {
  oracle: ContractOracle;
  /** In-process backends report this process's peak RSS; remote ones cannot. */
  inProcess: boolean;
}

/** Checks the backend contract on `backend`, which must be generating with `tiny`. */
export async function contract(backend: Backend, opts: ContractOptions): Promise<void> {
  for (const prompt of ["La cuantización", "El modelo"]) {
    const r = await backend.generate(prompt, { maxTokens: 16 });
    assert.equal(r.text, opts.oracle.text(prompt, 16), `${backend.name}: ${prompt}`);
    assert.equal(r.tokensOut, 16, "maxTokens honoured (the chain has no end-of-text)");
    assert.equal(r.stopReason, "length");
    assert.equal(r.tokensIn, opts.oracle.tokensIn(prompt), "prompt tokens as the tokenizer counts");
    assert.ok(r.timings.ttftMs! > 0 && r.timings.ttftMs! <= r.timings.totalMs);
    if (opts.inProcess) assert.ok(r.memory?.peakRssBytes! > 0);

    const s = backend.stream(prompt, { maxTokens: 16 });
    const pieces: string[] = [];
    for await (const p of s) pieces.push(p);
    assert.equal(pieces.join(""), r.text, "streamed = generated");
    assert.equal((await s.result).text, r.text);
    assert.ok(pieces.length >= 10, "one piece per token (a few tokens may be empty pieces)");
  }
  // Abort: the stream stops within one token of the abort.
  const s = backend.stream("La memoria", { maxTokens: 100 });
  await readThenAbort(s, 3);
  const aborted = await s.result;
  assert.equal(aborted.stopReason, "abort");
  assert.ok(aborted.tokensOut <= 4, `${aborted.tokensOut} tokens after abort at 3`);
}

/** Reads a stream, aborts it once `n` pieces have come, and returns every piece read. */
export async function readThenAbort(s: GenerationStream, n: number): Promise<string[]> {
  const pieces: string[] = [];
  for await (const p of s) if (pieces.push(p) === n) s.abort();
  return pieces;
}
