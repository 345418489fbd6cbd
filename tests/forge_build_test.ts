/**
 * Building with the forge: a model written with external data loads and gives the same
 * logits, bad input gives clear Spanish errors and never leaves a complete-looking folder,
 * and the presets carry real Llama hyper-parameters.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { AutoModelForCausalLM, env } from "@huggingface/transformers";
import { CACHE_DIR } from "../lib/core/paths.ts";
import { tempDir } from "./_notebooks.ts";
import { buildModel, ensureModel, ForgeError, llamaTensors, PRESETS } from "../lib/forge/mod.ts";
import { maxAbsDiff, PROMPT_IDS, runSession, useDir } from "./_forge_session.ts";

env.allowRemoteModels = false;
env.cacheDir = join(CACHE_DIR, "hf");

Deno.test("external data: a model written with <file>.onnx_data loads and gives the same logits", async () => {
  const tmp = tempDir("forge-test-");
  try {
    const dir = join(tmp, "tiny-random-ext");
    await buildModel("tiny-random", dir, {
      dtypes: ["fp32", "q4"],
      safetensors: false,
      externalData: "always",
      log: () => {},
    });
    const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
    assert.deepEqual(config["transformers.js_config"].use_external_data_format, {
      "model.onnx": 1,
      "model_q4.onnx": 1,
    });
    await Deno.stat(join(dir, "onnx", "model.onnx_data"));
    const inline = await AutoModelForCausalLM.from_pretrained(
      useDir(await ensureModel("tiny-random")),
      { dtype: "fp32" },
    );
    const a = (await runSession(inline, PROMPT_IDS, null, 0)).logits;
    await inline.dispose();
    const ext = await AutoModelForCausalLM.from_pretrained(useDir(dir), { dtype: "fp32" });
    const b = (await runSession(ext, PROMPT_IDS, null, 0)).logits;
    await ext.dispose();
    assert.equal(maxAbsDiff(a, b), 0);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("bad input gives clear errors and never leaves a complete-looking folder", async () => {
  const tmp = tempDir("forge-test-");
  const quiet = { log: () => {} };
  try {
    await assert.rejects(
      buildModel("gpt-5", join(tmp, "x"), quiet),
      (e) => e instanceof ForgeError && /Preset desconocido/.test(e.message),
    );
    await assert.rejects(
      buildModel("tiny-random", join(tmp, "x"), { ...quiet, shape: { num_attention_heads: 5 } }),
      (e) => e instanceof ForgeError && /no divide a hidden_size/.test(e.message),
    );
    await assert.rejects(
      buildModel("tiny-random", join(tmp, "x"), { ...quiet, shape: { num_key_value_heads: 3 } }),
      (e) => e instanceof ForgeError && /no divide a num_attention_heads/.test(e.message),
    );
    const file = join(tmp, "a-file");
    await Deno.writeTextFile(file, "");
    await assert.rejects(
      buildModel("tiny-random", join(file, "model"), quiet),
      (e) => e instanceof ForgeError && /No se puede escribir/.test(e.message),
    );
    await assert.rejects(
      buildModel("tiny-random", join(tmp, "huge"), {
        ...quiet,
        shape: { hidden_size: 65536, intermediate_size: 1 << 20, num_hidden_layers: 200 },
      }),
      (e) => e instanceof ForgeError && /espacio suficiente/.test(e.message),
    );
    // A build that fails half-way (here: after model.safetensors) leaves nothing behind.
    let lines = 0;
    await assert.rejects(
      buildModel("tiny-random", join(tmp, "broken"), {
        log: () => {
          if (++lines === 1) throw new Error("interrupted");
        },
      }),
      /interrupted/,
    );
    assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name).sort(), ["a-file"]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("presets: real Llama hyper-parameters", () => {
  assert.deepEqual(PRESETS["llama-2-7b"].shape.hidden_size, 4096);
  assert.equal(PRESETS["tinyllama-1.1b"].shape.num_key_value_heads, 4);
  const count = llamaTensors(PRESETS["llama-2-7b"].shape)
    .reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
  assert.equal(count, 6_738_415_616);
});
