// deno-lint-ignore-file no-explicit-any
/**
 * The fused graph (lib/forge/fused_graph.ts) against the reference forward and against the
 * classic graph (lib/forge/llama_graph.ts) on the same weights: fp32 logits to 1e-4 relative,
 * KV-cache stepping equal to the full sequence, quantized errors reported, the structure the
 * hub's models have, and transformers.js generating the same tokens with both graphs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { AutoModelForCausalLM, env, Tensor } from "@huggingface/transformers";
import { tempDir } from "./_notebooks.ts";
import * as ort from "onnxruntime-node";
import { buildModel, type ForgeDtype } from "../lib/forge/mod.ts";
import { rawGreedyDecode } from "../lib/bench/raw_decode.ts";
import { capturedGreedyDecode } from "../lib/bench/gpu_capture.ts";
import { readOnnxInitializers, type RefConfig, referenceForward } from "./forge_reference.ts";
import { q4WeightGetter } from "./forge_reference.ts";
import { unstackInitializers } from "./forge_stacked.ts";
import { argmax, PROMPT_IDS, runSession, toNumbers } from "./_forge_session.ts";

env.allowRemoteModels = false;

// One weight source, two graphs: the same preset built twice (weights are seeded).
const root = tempDir("fused-test-");
const dirs: Record<string, string> = {};
async function model(kind: "fused" | "classic" | "fused-acc0"): Promise<string> {
  if (dirs[kind]) return dirs[kind];
  const dir = join(root, kind);
  await buildModel("tiny-random", dir, {
    dtypes: kind === "classic"
      ? ["fp32", "fp16", "q8", "q4"]
      : ["fp32", "fp16", "q8", "q4", "q4f16"],
    graph: kind === "classic" ? "classic" : "fused",
    q4AccuracyLevel: kind === "fused-acc0" ? 0 : undefined,
    log: () => {},
  });
  return (dirs[kind] = dir);
}

async function logitsOf(dir: string, dtype: ForgeDtype): Promise<number[][]> {
  env.localModelPath = root + "/";
  const m = await AutoModelForCausalLM.from_pretrained(dir.slice(root.length + 1), { dtype });
  try {
    return (await runSession(m, PROMPT_IDS, null, 0)).logits;
  } finally {
    await m.dispose();
  }
}

const flat = (a: ArrayLike<number>[]) => a.flatMap((r) => Array.from(r));
/** max |a − b| ÷ max |b|. */
function relative(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  const x = flat(a), y = flat(b);
  let d = 0, m = 0;
  x.forEach((v, i) => {
    d = Math.max(d, Math.abs(v - y[i]));
    m = Math.max(m, Math.abs(y[i]));
  });
  return d / m;
}

Deno.test("fused fp32 logits equal the reference forward and the classic graph (≤ 1e-4 relative)", async () => {
  const fused = await model("fused");
  const config: RefConfig = JSON.parse(await Deno.readTextFile(join(fused, "config.json")));
  const { readSafetensors } = await import("./forge_reference.ts");
  const { tensors } = readSafetensors(await Deno.readFile(join(fused, "model.safetensors")));
  const ref = referenceForward(config, (n) => tensors.get(n)!.values, PROMPT_IDS);
  const f = await logitsOf(fused, "fp32");
  const c = await logitsOf(await model("classic"), "fp32");
  const vsRef = relative(f, ref), vsClassic = relative(f, c), classicRef = relative(c, ref);
  console.log(
    `  fusionado−referencia ${vsRef.toExponential(2)}, fusionado−clásico ${
      vsClassic.toExponential(2)
    }, clásico−referencia ${classicRef.toExponential(2)} (relativo al máx |logit|)`,
  );
  assert.ok(vsRef <= 1e-4 && vsClassic <= 1e-4, `${vsRef} ${vsClassic}`);
});

for (const dtype of ["fp32"] as ForgeDtype[]) {
  Deno.test(`fused ${dtype}: step-by-step decoding with the KV cache gives the full-sequence logits`, async () => {
    env.localModelPath = root + "/";
    await model("fused");
    const m = await AutoModelForCausalLM.from_pretrained("fused", { dtype });
    const full = await runSession(m, PROMPT_IDS, null, 0);
    let s = await runSession(m, PROMPT_IDS.slice(0, 4), null, 0);
    const logits = [...s.logits];
    for (let i = 4; i < PROMPT_IDS.length; i++) {
      s = await runSession(m, [PROMPT_IDS[i]], s.present, i);
      assert.deepEqual(s.present["present.1.value"].dims, [1, 2, i + 1, 16]);
      logits.push(...s.logits);
    }
    await m.dispose();
    const diff = relative(logits, full.logits);
    console.log(`  ${dtype}: caché KV − secuencia completa = ${diff.toExponential(2)} (relativo)`);
    assert.ok(diff <= 1e-5, `${diff}`);
  });
}

for (const dtype of ["fp16", "q4f16"] as ForgeDtype[]) {
  Deno.test(`fused ${dtype}: greedy tokens generated with the KV cache are the full sequence's argmax`, async () => {
    env.localModelPath = root + "/";
    await model("fused");
    const m = await AutoModelForCausalLM.from_pretrained("fused", { dtype });
    const n = PROMPT_IDS.length;
    const input_ids = new Tensor("int64", BigInt64Array.from(PROMPT_IDS.map(BigInt)), [1, n]);
    const attention_mask = new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]);
    const out = (await m.generate(
      { input_ids, attention_mask, max_new_tokens: 12, do_sample: false } as any,
    )) as Tensor;
    const ids = toNumbers(out.data);
    // One pass over prompt + generated tokens, no cache (float16 past inputs are not fed).
    const { logits } = await runSession(m, ids.slice(0, -1), null, 0);
    await m.dispose();
    const teacher = logits.slice(n - 1).map(argmax);
    console.log(`  ${dtype}: generados ${ids.slice(n).join(",")}`);
    assert.deepEqual(ids.slice(n), teacher);
  });
}

Deno.test("fused q4 at accuracy level 0 computes the model of its dequantized (stacked) 4-bit weights", async () => {
  const dir = await model("fused-acc0");
  const config: RefConfig = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const inFeatures = (n: string) =>
    n.includes("down_proj") ? config.intermediate_size : config.hidden_size;
  const inits = unstackInitializers(
    await readOnnxInitializers(join(dir, "onnx", "model_q4.onnx")),
    config,
  );
  const expected = referenceForward(config, q4WeightGetter(inits, inFeatures), PROMPT_IDS);
  const diff = relative(await logitsOf(dir, "q4"), expected);
  console.log(`  q4 (nivel 0) − referencia con pesos decuantizados = ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-4, `${diff}`);
});

Deno.test("quantized formats: fused vs classic error against fp32 (reported)", async () => {
  const ref = await logitsOf(await model("classic"), "fp32");
  const rows: string[] = [];
  for (const dtype of ["fp16", "q8", "q4", "q4f16"] as ForgeDtype[]) {
    const c = dtype === "q4f16"
      ? null
      : relative(await logitsOf(await model("classic"), dtype), ref);
    const f = relative(await logitsOf(await model("fused"), dtype), ref);
    const f0 = dtype.startsWith("q4")
      ? relative(await logitsOf(await model("fused-acc0"), dtype), ref)
      : null;
    rows.push(
      `  ${dtype}: clásico ${c?.toFixed(4) ?? "—"}, fusionado ${f.toFixed(4)}` +
        (f0 === null ? "" : ` (nivel 0: ${f0.toFixed(4)})`),
    );
    // Same quantized weights in both graphs: the fused graph's error stays of the same size
    // (q4 at level 4 adds int8 activations, an error of q8's size).
    if (c !== null) assert.ok(f <= 2 * c + 0.02, `${dtype}: ${f} vs ${c}`);
  }
  console.log("  error máx |Δlogit| ÷ máx |logit fp32|\n" + rows.join("\n"));
});

Deno.test("the fused graph has the hub models' structure and about a fifth of the nodes", async () => {
  const count = async (dir: string) => {
    const { default: ort } = await import("onnxruntime-node");
    const s = await ort.InferenceSession.create(join(dir, "onnx", "model.onnx"));
    await s.release();
    const bytes = await Deno.readFile(join(dir, "onnx", "model.onnx"));
    const text = new TextDecoder("latin1").decode(bytes);
    const ops = (op: string) => text.split(`\x22${String.fromCharCode(op.length)}${op}`).length - 1;
    return { gqa: ops("GroupQueryAttention"), skip: ops("SkipSimplifiedLayerNormalization") };
  };
  const f = await count(await model("fused"));
  assert.deepEqual(f, { gqa: 2, skip: 4 }); // 2 layers: one GQA each; 2 per layer (last = final norm)
  const { buildGraph } = await import("../lib/forge/build.ts");
  const { PRESETS } = await import("../lib/forge/mod.ts");
  const none = { get: (): Float32Array => new Float32Array(0) };
  const shape = PRESETS["tinyllama-1.1b"].shape;
  const nf = buildGraph("fused", shape, "q4", none).nodes.length;
  const nc = buildGraph("classic", shape, "q4", none).nodes.length;
  console.log(`  tinyllama-1.1b q4: ${nf} nodos fusionado, ${nc} clásico`);
  assert.ok(nf * 4 < nc, `${nf} vs ${nc}`);
});

Deno.test("transformers.js generates the same greedy tokens with the fused and the classic graph", async () => {
  env.localModelPath = root + "/";
  await model("fused");
  await model("classic");
  const gen = async (id: string) => {
    const m = await AutoModelForCausalLM.from_pretrained(id, { dtype: "fp32" });
    const input_ids = new Tensor("int64", BigInt64Array.from(PROMPT_IDS.map(BigInt)), [1, 10]);
    const attention_mask = new Tensor("int64", new BigInt64Array(10).fill(1n), [1, 10]);
    const out = (await m.generate(
      { input_ids, attention_mask, max_new_tokens: 16, do_sample: false } as any,
    )) as Tensor;
    await m.dispose();
    return toNumbers(out.data);
  };
  assert.deepEqual(await gen("fused"), await gen("classic"));
});

Deno.test("a static KV cache (one buffer per layer, written in place) decodes the same tokens as the growing one; the classic graph refuses it", async () => {
  const fused = await model("fused");
  const config = JSON.parse(await Deno.readTextFile(join(fused, "config.json")));
  const opts = { promptIds: PROMPT_IDS, maxNewTokens: 24 };
  // The float32-KV files (the raw loop cannot feed float16 KV back under Deno: raw_decode.ts).
  for (const file of ["model.onnx", "model_quantized.onnx", "model_q4.onnx"]) {
    const s = await ort.InferenceSession.create(join(fused, "onnx", file));
    try {
      const growing = await rawGreedyDecode(ort, s, config, opts);
      const fixed = await rawGreedyDecode(ort, s, config, { ...opts, staticKv: true });
      assert.equal(growing.ids.length, 24, file);
      assert.deepEqual(fixed.ids, growing.ids, file);
    } finally {
      await s.release();
    }
  }
  const classic = await ort.InferenceSession.create(
    join(await model("classic"), "onnx/model.onnx"),
  );
  try {
    await assert.rejects(rawGreedyDecode(ort, classic, config, { ...opts, staticKv: true }));
  } finally {
    await classic.release();
  }
});

Deno.test("the GPU benchmark's fixed-buffer decode loop (upload, static KV, argmax sessions) gives the raw loop's tokens and logits", async () => {
  const fused = await model("fused");
  const config = JSON.parse(await Deno.readTextFile(join(fused, "config.json")));
  const opts = { promptIds: PROMPT_IDS, maxNewTokens: 24 };
  for (const file of ["model.onnx", "model_q4.onnx"]) {
    const path = join(fused, "onnx", file);
    const s = await ort.InferenceSession.create(path);
    const maxLogits: number[] = [];
    let growing;
    try {
      // The oracle: the growing-cache raw loop, reading each step's largest logit.
      const oracle = {
        inputNames: s.inputNames,
        inputMetadata: s.inputMetadata,
        run: async (feeds: Parameters<typeof s.run>[0]) => {
          const out = await s.run(feeds);
          const v = out.logits.dims[2], at = (out.logits.dims[1] - 1) * v;
          const row = Array.from(out.logits.data as Float32Array).slice(at, at + v);
          maxLogits.push(Math.max(...row));
          return out;
        },
      };
      growing = await rawGreedyDecode(ort, oracle, config, opts);
    } finally {
      await s.release();
    }
    const fixed = await capturedGreedyDecode(ort, path, config, {
      ...opts,
      capture: false,
      device: "cpu",
    });
    assert.deepEqual(fixed.ids, growing.ids, file);
    fixed.maxLogits.forEach((m, i) =>
      assert.ok(Math.abs(m - maxLogits[i]) <= 1e-4 * Math.abs(maxLogits[i]) + 1e-5, `${file} ${i}`)
    );
    // Each step's logits are new (a loop reading stale buffers would repeat them).
    assert.ok(new Set(fixed.maxLogits).size > fixed.maxLogits.length / 2, file);
  }
  await assert.rejects(
    capturedGreedyDecode(ort, join(fused, "onnx/model.onnx"), config, {
      ...opts,
      capture: true,
      device: "cpu",
    }),
    /webgpu/,
  );
  // The classic graph grows its cache by Concat: the loop names the reason, not a shape error.
  await assert.rejects(
    capturedGreedyDecode(ort, join(await model("classic"), "onnx/model.onnx"), config, {
      ...opts,
      capture: false,
      device: "cpu",
    }),
    /GroupQueryAttention/,
  );
});

Deno.test({
  name: "fused test models removed",
  fn: async () => await Deno.remove(root, { recursive: true }),
  sanitizeResources: false,
});
