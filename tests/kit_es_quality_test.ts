/**
 * The quality figures of eval-model on inputs whose answer is known by hand.
 */
import assert from "node:assert/strict";
import {
  distinctTrigramRatio,
  spanishWordRatio,
  unknownSpanishWords,
  words,
} from "../lib/forge/mod.ts";
import { logProb, scoreSequence } from "../lib/forge/quality.ts";

Deno.test("words: lower-case letter runs; runs with digits (fp16, 7B, 2 048) are not words", () => {
  assert.deepEqual(words("Llama-2-7B ocupa 13,5 GB en FP16, ¿verdad?"), [
    "llama",
    "ocupa",
    "gb",
    "en",
    "verdad",
  ]);
});

Deno.test("distinct trigrams: a loop lowers the ratio, a plain sentence scores 1", () => {
  assert.equal(distinctTrigramRatio(["la caché crece con el contexto"]), 1);
  // "a b c a b c": trigrams abc bca cab abc → 3 distinct of 4.
  assert.equal(distinctTrigramRatio(["a b c a b c"]), 0.75);
  assert.equal(distinctTrigramRatio(["de la memoria de la memoria de la memoria"]), 3 / 7);
  assert.equal(distinctTrigramRatio(["hola", ""]), 1);
});

Deno.test("spanish words: the share not rejected by the dictionary, course terms allowed", () => {
  const unknown = new Set(["xyzzy", "gpu"]);
  assert.equal(spanishWordRatio(["la casa xyzzy gpu"], unknown), 0.75);
  assert.equal(spanishWordRatio(["la casa xyzzy gpu"], unknown, []), 0.5);
});

Deno.test("log-softmax and perplexity: uniform logits give perplexity = vocabulary size", () => {
  const V = 7;
  const uniform = new Float32Array(V).fill(3.25);
  assert.ok(Math.abs(logProb(uniform, 2) + Math.log(V)) < 1e-12);
  const s = scoreSequence({ ids: [1, 4, 5, 6], lossFrom: 2 }, () => uniform);
  assert.equal(s.count, 2); // targets: positions 2 and 3
  assert.ok(Math.abs(Math.exp(s.nll / s.count) - V) < 1e-9);
  // A peaked row: log p = 10 − log(e^10 + 6).
  const peaked = new Float32Array(V);
  peaked[3] = 10;
  assert.ok(Math.abs(logProb(peaked, 3) - (10 - Math.log(Math.exp(10) + 6))) < 1e-12);
});

Deno.test("hunspell es_ES (installed by `deno task setup`) knows Spanish inflections and rejects invented words", async () => {
  const unknown = await unknownSpanishWords(["formato", "millones", "ocupan", "amples", "zzq"]);
  assert.deepEqual([...unknown].sort(), ["amples", "zzq"]);
});
