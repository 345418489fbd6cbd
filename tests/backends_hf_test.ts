/**
 * Backend contract for methods 1 and 2 on the forge's `tiny` model: exact greedy text
 * (against the corpus bigram oracle), streamed = generated, token counts, abort, bounds,
 * and clear errors for bad input.
 */
import assert from "node:assert/strict";
import { offlineTest } from "./_env.ts";
import { KitError } from "../lib/core/mod.ts";
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createOptimizedBackend } from "../lib/methods/optimized/backend.ts";
import { createPipelineBackend } from "../lib/methods/pipeline/backend.ts";
import type { Backend } from "../lib/core/types.ts";
import { continuation, TINY_DIR, tokenizer } from "./_tiny_oracle.ts";
import { tempDir } from "./_notebooks.ts";

const dir = TINY_DIR;
const oracle = continuation;

async function contract(backend: Backend) {
  for (const prompt of ["La cuantización", "El modelo"]) {
    const r = await backend.generate(prompt, { maxTokens: 16 });
    assert.equal(r.text, oracle(prompt, 16), `${backend.name}: ${prompt}`);
    assert.equal(r.tokensOut, 16, "maxTokens honoured (the chain has no end-of-text)");
    assert.equal(r.stopReason, "length");
    assert.equal(
      r.tokensIn,
      tokenizer.encode(prompt).length,
      "prompt tokens as the tokenizer counts",
    );
    assert.ok(r.timings.ttftMs! > 0 && r.timings.ttftMs! <= r.timings.totalMs);
    assert.ok(r.memory?.peakRssBytes! > 0);

    const s = backend.stream(prompt, { maxTokens: 16 });
    const pieces: string[] = [];
    for await (const p of s) pieces.push(p);
    assert.equal(pieces.join(""), r.text, "streamed = generated");
    assert.ok(pieces.length >= 10, "one piece per token (a few tokens may be empty pieces)");
  }
  // Abort: the stream stops within one token of the abort.
  const s = backend.stream("La memoria", { maxTokens: 100 });
  let seen = 0;
  for await (const _ of s) if (++seen === 3) s.abort();
  const aborted = await s.result;
  assert.equal(aborted.stopReason, "abort");
  assert.ok(aborted.tokensOut <= 4, `${aborted.tokensOut} tokens after abort at 3`);
}

offlineTest("method 2 (optimized, fp32): the backend contract on tiny", async () => {
  const backend = await createOptimizedBackend({ model: "tiny", dtype: "fp32" });
  assert.equal(backend.dtype, "fp32");
  assert.equal(backend.device, "cpu");
  assert.equal(backend.mode, "offline");
  await contract(backend);
  await backend.close();
});

offlineTest("method 1 (pipeline, library defaults): the backend contract on tiny", async () => {
  const backend = await createPipelineBackend({ model: "tiny" });
  assert.equal(backend.method, 1);
  await contract(backend);
  await backend.close();
});

offlineTest("chat messages go through the chat template", async () => {
  const backend = await createOptimizedBackend({ model: "tiny", dtype: "q8" });
  const messages = [{ role: "user" as const, content: "¿Qué es la cuantización?" }];
  const r = await backend.generate(messages, { maxTokens: 8 });
  const text = tokenizer.apply_chat_template(messages, {
    tokenize: false,
    add_generation_prompt: true,
  }) as unknown as string;
  assert.equal(text, "<s>[INST] ¿Qué es la cuantización? [/INST]", "Llama-2 chat format");
  assert.equal(r.tokensIn, tokenizer.encode(text, { add_special_tokens: false }).length);
  assert.ok(r.text.length > 0);
  await backend.close();
});

offlineTest("bad input: clear Spanish errors, nothing loaded or generated", async () => {
  const backend = await createOptimizedBackend({ model: "tiny", dtype: "q4" });
  assert.throws(() => backend.stream("   "), /El prompt está vacío/);
  assert.throws(
    () => backend.stream("hola", { maxTokens: 0 }),
    /maxTokens debe ser un entero entre 1 y/,
  );
  await backend.close();

  await assert.rejects(createOptimizedBackend({ model: "no-existe" }), KitError);
  await assert.rejects(
    createOptimizedBackend({ model: "HuggingFaceTB/SmolLM2-135M-Instruct", dtype: "q4" }),
    /KIT_OFFLINE=1 impide descargarlo/,
  );
  await assert.rejects(
    createOptimizedBackend({ model: "tiny", device: "cuda" }),
    /Usa device: "cpu"/,
  );

  // A folder holding only the fp32 file: asking for q4 names what exists.
  const partial = join(tempDir("model-"), "solo-fp32");
  mkdirSync(join(partial, "onnx"), { recursive: true });
  for (
    const f of ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]
  ) {
    copyFileSync(join(dir, f), join(partial, f));
  }
  copyFileSync(join(dir, "onnx", "model.onnx"), join(partial, "onnx", "model.onnx"));
  await assert.rejects(
    createOptimizedBackend({ model: partial, dtype: "q4" }),
    /no tiene pesos en q4; dtypes disponibles: fp32/,
  );

  // A config claiming Llama-2-7B's shape: refused before loading, naming a dtype that fits.
  const huge = join(tempDir("model-"), "enorme");
  cpSync(dir, huge, { recursive: true });
  const config = JSON.parse(readFileSync(join(huge, "config.json"), "utf8"));
  Object.assign(config, {
    vocab_size: 32000,
    hidden_size: 8192,
    intermediate_size: 28672,
    num_hidden_layers: 80,
    num_attention_heads: 64,
    num_key_value_heads: 8,
  });
  writeFileSync(join(huge, "config.json"), JSON.stringify(config));
  await assert.rejects(createOptimizedBackend({ model: huge, dtype: "fp32" }), KitError);
  rmSync(huge, { recursive: true });
});
