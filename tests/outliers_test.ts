/**
 * LLM.int8() arithmetic (lib/measure/outliers.ts) against hand computation, and the kit-es
 * forward behind it (lib/forge/kit_es_activations.ts) against the test-side float64 forward.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { int8MatmulError, outlierFeatures } from "../lib/measure/mod.ts";
import { kitEsActivations, TRAINED_FILES } from "../lib/forge/mod.ts";
import { readSafetensors, type RefConfig, referenceForward } from "./forge_reference.ts";

Deno.test("int8MatmulError: hand-computed vector-wise absmax quantization", () => {
  // x = [1, 0.3], absmax 1 → step 1/127: 0.3 → round(38.1)/127 = 38/127.
  // w = [[0.5, 0.25]], absmax 0.5 → step 0.5/127: 0.5 exact, 0.25 → 63.5 → round 64 → 64·0.5/127.
  const x = new Float32Array([1, 0.3]);
  const w = new Float32Array([0.5, 0.25]);
  const y = 0.5 * 1 + 0.25 * Math.fround(0.3);
  const yq = 0.5 * 1 + (64 * 0.5 / 127) * (38 / 127);
  const got = int8MatmulError([x], w, 1, 2);
  assert.ok(Math.abs(got - Math.abs(y - yq) / Math.abs(y)) < 1e-6, String(got));
  // Keeping both features in full precision leaves no error.
  assert.equal(int8MatmulError([x], w, 1, 2, [0, 1]), 0);
});

Deno.test("outlierFeatures: the features some token reaches |x| ≥ 6 in, largest first", () => {
  const xs = [new Float32Array([1, -7, 0, 6]), new Float32Array([2, 3, -9, 0])];
  assert.deepEqual(outlierFeatures(xs), [2, 1, 3]);
  assert.deepEqual(outlierFeatures(xs, 10), []);
});

Deno.test("an outlier feature spoils int8 for every other feature; keeping it out restores them", () => {
  const inputs = Array.from(
    { length: 16 },
    (_, t) => Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? 60 : Math.sin(t * 7 + i))),
  );
  const weight = Float32Array.from({ length: 8 * 32 }, (_, k) => Math.cos(k * 1.3) * 0.1);
  const plain = int8MatmulError(inputs, weight, 8, 32);
  const kept = int8MatmulError(inputs, weight, 8, 32, outlierFeatures(inputs));
  assert.deepEqual(outlierFeatures(inputs), [5]);
  assert.ok(kept < plain / 5, `${kept} vs ${plain}`);
});

Deno.test("kit-es forward: its perplexity equals the float64 reference forward's", async () => {
  const dir = join(new URL("..", import.meta.url).pathname, "data", "kit_es", "model");
  const { tensors } = readSafetensors(await Deno.readFile(join(dir, TRAINED_FILES.weights)));
  // The committed config names RoPE's base under rope_parameters (transformers 5).
  const raw = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const config: RefConfig = { ...raw, rope_theta: raw.rope_parameters.rope_theta };
  const ids = [1, 288, 386, 555, 406, 379, 853, 307, 422, 40, 100, 2000];
  const logits = referenceForward(config, (n) => tensors.get(n)!.values, ids);
  let nll = 0;
  for (let p = 0; p + 1 < ids.length; p++) {
    const m = Math.max(...logits[p]);
    const lse = m + Math.log(logits[p].reduce((s, v) => s + Math.exp(v - m), 0));
    nll += lse - logits[p][ids[p + 1]];
  }
  const expected = Math.exp(nll / (ids.length - 1));
  const got = await kitEsActivations({ texts: [{ ids, lossFrom: 1 }] });
  assert.ok(
    Math.abs(got.perplexity - expected) / expected < 1e-4,
    `${got.perplexity} vs ${expected}`,
  );
  const down = got.layers.find((l) => l.name === "model.layers.7.mlp.down_proj")!;
  assert.equal(down.inputs.length, ids.length);
  assert.equal(got.layers.length, 8 * 7, "q, k, v, o, gate, up, down per layer");
});
