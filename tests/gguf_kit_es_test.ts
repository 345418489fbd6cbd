/**
 * kit-es in GGUF on llama.cpp gives the same greedy text as its fp32 ONNX model on
 * transformers.js (the oracle of tests/_kit_es_oracle.ts, whose logits tests/kit_es_test.ts
 * checks against a plain forward of the committed weights): the same weights, two engines.
 */
import assert from "node:assert/strict";
import { ensureGguf } from "../lib/forge/mod.ts";
import { greedyGguf } from "./ollama_helpers.ts";
import { kitEsContinuation } from "./_kit_es_oracle.ts";

Deno.test("kit-es on llama.cpp (F32 GGUF): greedy text = the fp32 ONNX model's", async () => {
  const path = await ensureGguf("kit-es", "f32", { log: () => {} });
  for (const prompt of ["La cuantización", "La caché KV", "Groq es"]) {
    const gguf = await greedyGguf(path, prompt, 24);
    assert.equal(gguf.text, await kitEsContinuation(prompt, 24), prompt);
  }
});
