/** lib/measure/memory against values computed by hand from the models' config.json. */
import assert from "node:assert/strict";
import { KitError } from "../lib/core/mod.ts";
import {
  assertFits,
  countParams,
  dtypeFits,
  estimateActivationsBytes,
  estimateWeightsBytes,
  KNOWN_CONFIGS,
  kvCacheBytes,
} from "../lib/measure/memory.ts";

const L7 = KNOWN_CONFIGS["llama-2-7b"];
const TL = KNOWN_CONFIGS["tinyllama-1.1b"];

Deno.test("Llama-2-7B: 6.74 B parameters → the session's 27 / 13.5 / 6.7 GB table", () => {
  // 32000·4096 (embed) + 32·(4·4096² + 3·4096·11008 + 2·4096) + 4096 + 32000·4096 (lm_head)
  const byHand = 32000 * 4096 * 2 + 32 * (4 * 4096 ** 2 + 3 * 4096 * 11008 + 2 * 4096) + 4096;
  assert.equal(byHand, 6_738_415_616);
  const params = countParams(L7);
  assert.equal(params, byHand);
  assert.equal((estimateWeightsBytes(params, "fp32") / 1e9).toFixed(1), "27.0");
  assert.equal((estimateWeightsBytes(params, "fp16") / 1e9).toFixed(1), "13.5");
  assert.equal((estimateWeightsBytes(params, "q8") / 1e9).toFixed(1), "6.7");
  assert.equal((estimateWeightsBytes(params, "q4") / 1e9).toFixed(2), "3.37");
});

Deno.test("Llama-2-7B KV cache: 0.5 MiB per token in fp16, 1 GiB at 2K tokens, linear", () => {
  assert.equal(kvCacheBytes(L7, 1), 2 * 32 * 32 * 128 * 2);
  assert.equal(kvCacheBytes(L7, 1), 0.5 * 2 ** 20);
  assert.equal(kvCacheBytes(L7, 2048), 2 ** 30);
  assert.equal(kvCacheBytes(L7, 4096), 2 * kvCacheBytes(L7, 2048), "linear, not exponential");
  assert.equal(kvCacheBytes(L7, 2048, 4), 4 * 2 ** 30);
});

Deno.test("TinyLlama-1.1B: GQA with 4 KV heads shrinks k/v projections and the cache 8×", () => {
  // head_dim 64; k and v: 2048 × (4·64) each.
  const perLayer = 2048 * 2048 * 2 + 2 * 2048 * 256 + 3 * 2048 * 5632 + 2 * 2048;
  assert.equal(countParams(TL), 32000 * 2048 * 2 + 22 * perLayer + 2048);
  assert.equal(countParams(TL), 1_100_048_384);
  assert.equal(kvCacheBytes(TL, 1), 2 * 22 * 4 * 64 * 2);
  const noGqa = kvCacheBytes({ ...TL, num_key_value_heads: 32 }, 1);
  assert.equal(noGqa / kvCacheBytes(TL, 1), 8);
});

Deno.test("the forge's tiny shape: hidden = vocab, tied embeddings counted once", () => {
  const tiny = {
    vocab_size: 1024,
    hidden_size: 1024,
    intermediate_size: 256,
    num_hidden_layers: 2,
    num_attention_heads: 16,
    num_key_value_heads: 4,
  };
  const perLayer = 1024 * 1024 * 2 + 2 * 1024 * 256 + 3 * 1024 * 256 + 2 * 1024;
  assert.equal(countParams(tiny), 1024 * 1024 * 2 + 2 * perLayer + 1024);
  assert.equal(
    countParams({ ...tiny, tie_word_embeddings: true }),
    countParams(tiny) - 1024 * 1024,
  );
});

Deno.test("dtypeFits and assertFits: the refusal names a dtype that fits", () => {
  const fits = dtypeFits(countParams(L7), { ramBytes: 16e9 });
  assert.deepEqual(fits.map((f) => f.fitsRam), [false, true, true, true]);
  assert.doesNotThrow(() => assertFits(L7, "q4", 24e9));
  assert.throws(() => assertFits(L7, "fp32", 24e9), (e: unknown) => {
    assert.ok(e instanceof KitError);
    assert.match(e.message, /Prueba con dtype "fp16"/);
    return true;
  });
  assert.throws(() => assertFits(L7, "fp16", 2e9), /No cabe en ningún dtype/);
});

Deno.test("activations estimate: hidden + MLP, attention scores (quadratic), logits, fp32", () => {
  // Llama-2-7B, 512 tokens: 512·(4·4096 + 2·11008) + 32·512² + 512·32000 values × 4 bytes.
  const values = 512 * (4 * 4096 + 2 * 11008) + 32 * 512 * 512 + 512 * 32000;
  assert.equal(estimateActivationsBytes(L7, 512), 4 * values);
  assert.equal(estimateActivationsBytes(L7, 512, 2), 8 * values, "linear in the batch");
  // The attention-score term makes doubling the prompt more than double the estimate.
  assert.ok(estimateActivationsBytes(L7, 1024) > 2 * estimateActivationsBytes(L7, 512));
});
