/**
 * Methods 1 and 2 on the forge's `tiny` model beyond the shared backend contract (which
 * tests/backend_contract_test.ts runs on all four methods): chat messages through the chat
 * template, and clear errors for bad input.
 */
import assert from "node:assert/strict";
import { offlineTest } from "./_env.ts";
import { KitError } from "../lib/core/mod.ts";
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createOptimizedBackend } from "../lib/methods/optimized/backend.ts";
import { TINY_DIR, tokenizer } from "./_tiny_oracle.ts";
import { tempDir } from "./_notebooks.ts";

const dir = TINY_DIR;

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
