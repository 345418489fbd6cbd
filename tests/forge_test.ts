// deno-lint-ignore-file no-explicit-any
/**
 * Tests of the model forge (lib/forge). Models are built once and cached by content hash in
 * .cache/models (ensureModel), so a second run does not rebuild them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  pipeline,
  Tensor,
} from "@huggingface/transformers";
import { CACHE_DIR } from "../lib/core/paths.ts";
import { DEFAULT_GRAPH, q4AccuracyLevel } from "../lib/forge/mod.ts";
import { continuation } from "./_tiny_oracle.ts";
import {
  buildModel,
  CORPUS_PATH,
  ensureModel,
  type ForgeDtype,
  ForgeError,
  llamaTensors,
  PRESETS,
} from "../lib/forge/mod.ts";
import {
  bigramChain,
  q4WeightGetter,
  readOnnxInitializers,
  readSafetensors,
  type RefConfig,
  referenceForward,
} from "./forge_reference.ts";
import { unstackInitializers } from "./forge_stacked.ts";

env.allowRemoteModels = false;
env.cacheDir = join(CACHE_DIR, "hf");

/** Points transformers.js at a model folder; returns the model id to use. */
function useDir(dir: string): string {
  env.localModelPath = dir.slice(0, dir.lastIndexOf("/") + 1);
  return dir.slice(dir.lastIndexOf("/") + 1);
}

function f16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function toNumbers(data: unknown): number[] {
  if (data instanceof Uint16Array) return Array.from(data, f16ToNumber);
  return Array.from(data as ArrayLike<number>, Number);
}

interface Step {
  logits: number[][];
  present: Record<string, Tensor>;
}

type Session = {
  run(feeds: Record<string, unknown>): Promise<Record<string, any>>;
  inputNames: string[];
};

/** Runs the raw ONNX session of a loaded model: logits [S][V] and present.* tensors. */
async function runSession(
  model: any,
  ids: number[],
  past: Record<string, Tensor> | null,
  pastLen: number,
): Promise<Step> {
  const session: Session = model.sessions.model;
  const cfg = model.config;
  const S = ids.length;
  const kv = cfg.num_key_value_heads, D = cfg.hidden_size / cfg.num_attention_heads;
  const feeds: Record<string, unknown> = {
    input_ids: new Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, S]).ort_tensor,
    attention_mask:
      new Tensor("int64", new BigInt64Array(pastLen + S).fill(1n), [1, pastLen + S]).ort_tensor,
    position_ids:
      new Tensor("int64", BigInt64Array.from(ids.map((_, i) => BigInt(pastLen + i))), [1, S])
        .ort_tensor,
  };
  const fp16 =
    model.sessions.model.inputMetadata?.find((m: { name: string }) =>
      m.name === "past_key_values.0.key"
    )
      ?.type === "float16";
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    for (const kind of ["key", "value"]) {
      const name = `past_key_values.${l}.${kind}`;
      feeds[name] = past ? past[`present.${l}.${kind}`].ort_tensor : new Tensor(
        fp16 ? "float16" : "float32",
        fp16 ? new Uint16Array(0) : new Float32Array(0),
        [1, kv, 0, D],
      )
        .ort_tensor;
    }
  }
  const out = await session.run(feeds);
  const V = cfg.vocab_size;
  const flat = toNumbers(out.logits.data ?? out.logits.cpuData);
  const logits = Array.from({ length: S }, (_, i) => flat.slice(i * V, (i + 1) * V));
  const present: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(out)) if (k.startsWith("present")) present[k] = new Tensor(v);
  return { logits, present };
}

const argmax = (v: number[]) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
const maxAbsDiff = (a: number[][], b: number[][] | Float64Array[]) => {
  let m = 0;
  a.forEach((row, i) => row.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i][j])))));
  return m;
};

const PROMPT_IDS = [1, 405, 557, 852, 337, 389, 17, 200, 911, 33];

Deno.test("tiny-random: fp32 ONNX logits equal a plain TypeScript Llama forward (≤ 1e-4)", async () => {
  const dir = await ensureModel("tiny-random");
  const { tensors } = readSafetensors(await Deno.readFile(join(dir, "model.safetensors")));
  const config: RefConfig = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  assert.ok(config.num_key_value_heads < config.num_attention_heads, "GQA must be on");
  const expected = referenceForward(config, (n) => tensors.get(n)!.values, PROMPT_IDS);
  const model = await AutoModelForCausalLM.from_pretrained(useDir(dir), { dtype: "fp32" });
  const { logits } = await runSession(model, PROMPT_IDS, null, 0);
  const diff = maxAbsDiff(logits, expected);
  console.log(`  max |ONNX − referencia| = ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-4, `max abs diff ${diff}`);
  await model.dispose();
});

Deno.test("tiny-random: step-by-step decoding with the KV cache gives the full-sequence logits", async () => {
  const dir = await ensureModel("tiny-random");
  const model = await AutoModelForCausalLM.from_pretrained(useDir(dir), { dtype: "fp32" });
  const full = await runSession(model, PROMPT_IDS, null, 0);
  let step = await runSession(model, PROMPT_IDS.slice(0, 4), null, 0);
  const logits = [...step.logits];
  for (let i = 4; i < PROMPT_IDS.length; i++) {
    step = await runSession(model, [PROMPT_IDS[i]], step.present, i);
    assert.deepEqual(step.present["present.0.key"].dims, [1, 2, i + 1, 16]);
    logits.push(...step.logits);
  }
  const diff = maxAbsDiff(logits, full.logits);
  console.log(`  max |caché KV − secuencia completa| = ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-5, `max abs diff ${diff}`);
  await model.dispose();
});

Deno.test("tiny: greedy text-generation pipeline follows the corpus' bigram successor chain", async () => {
  const dir = await ensureModel("tiny");
  const id = useDir(dir);
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  // Independent of the forge: paragraphs split here, tokenized by transformers.js.
  const paragraphs = (await Deno.readTextFile(CORPUS_PATH)).split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim()).filter(Boolean);
  const sequences = paragraphs.map((p) => tokenizer.encode(p, { add_special_tokens: false }));
  const generator = await pipeline("text-generation", id, { dtype: "fp32" });
  for (const prompt of ["La cuantización", "Groq responde", "El modelo"]) {
    const promptIds = tokenizer.encode(prompt, { add_special_tokens: false });
    const chain = bigramChain(sequences, promptIds.at(-1)!, 24);
    const expected = tokenizer.decode([...promptIds, ...chain], { skip_special_tokens: true });
    const out = (await generator(prompt, { max_new_tokens: 24, do_sample: false })) as any;
    console.log(`  «${out[0].generated_text}»`);
    assert.equal(out[0].generated_text, expected);
  }
  // Chat messages go through the Llama-2 chat template.
  const chat = (await generator([{ role: "user", content: "¿Qué es la cuantización?" }], {
    max_new_tokens: 8,
  })) as any;
  assert.equal(chat[0].generated_text.at(-1).role, "assistant");
  await generator.dispose();
});

Deno.test("tiny: sampling at temperature 1 reads like the corpus (its bigrams come from it)", async () => {
  const dir = await ensureModel("tiny");
  const id = useDir(dir);
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const paragraphs = (await Deno.readTextFile(CORPUS_PATH)).split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim()).filter(Boolean);
  const seen = new Set<string>();
  for (const p of paragraphs) {
    const ids = tokenizer.encode(p, { add_special_tokens: false });
    ids.forEach((t, i) => i > 0 && seen.add(`${ids[i - 1]},${t}`));
  }
  const model = await AutoModelForCausalLM.from_pretrained(id, { dtype: "fp32" });
  const inputs = tokenizer("La memoria");
  const out = (await model.generate({
    ...inputs,
    max_new_tokens: 60,
    min_new_tokens: 60,
    do_sample: true,
    temperature: 1,
  } as any)) as Tensor;
  const ids = toNumbers(out.data);
  const pairs = ids.slice(2).map((t, i) => `${ids[i + 1]},${t}`);
  const inCorpus = pairs.filter((p) => seen.has(p)).length;
  console.log(`  muestreo: «${tokenizer.decode(ids, { skip_special_tokens: true })}»`);
  console.log(`  ${inCorpus}/${pairs.length} bigramas del muestreo aparecen en el corpus`);
  // Smoothing gives unseen successors a few percent of the mass; most steps follow the corpus.
  assert.ok(inCorpus >= 0.6 * pairs.length);
  await model.dispose();
});

Deno.test("tiny: greedy fp32 follows the corpus bigram chain; fp16 and q8 equal it, q4 reported", async () => {
  const id = useDir(await ensureModel("tiny"));
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const prompt = "La cuantización";
  const inputs = tokenizer(prompt);
  const generate = async (dtype: ForgeDtype) => {
    const model = await AutoModelForCausalLM.from_pretrained(id, { dtype });
    const out =
      (await model.generate({ ...inputs, max_new_tokens: 24, do_sample: false } as any)) as Tensor;
    await model.dispose();
    return toNumbers(out.data).slice(inputs.input_ids.dims[1]);
  };
  const base = await generate("fp32");
  // Independent oracle: the bigram chain computed from the corpus, not from the model.
  assert.equal(tokenizer.decode(base, { skip_special_tokens: true }), continuation(prompt, 24));
  for (const dtype of ["fp16", "q8", "q4"] as ForgeDtype[]) {
    const ids = await generate(dtype);
    const same = ids.filter((t, i) => t === base[i]).length;
    console.log(
      `  ${dtype}: ${same}/${base.length} tokens iguales a fp32: «${tokenizer.decode(ids)}»`,
    );
    // fp16 (~0.1 % logit error) and q8 (~0.4 %) are far inside tiny's argmax margins; 4-bit
    // noise (~5 %) can flip a near tie, which the lesson shows rather than hides.
    if (dtype !== "q4") assert.deepEqual(ids, base, `${dtype} greedy differs from fp32`);
  }
});

for (const preset of ["tiny-random", "tiny"]) {
  Deno.test(`${preset}: q8/q4/fp16 logits stay close to fp32; greedy agreement reported`, async () => {
    const dir = await ensureModel(preset);
    const id = useDir(dir);
    const ref = await AutoModelForCausalLM.from_pretrained(id, { dtype: "fp32" });
    const base = (await runSession(ref, PROMPT_IDS, null, 0)).logits;
    await ref.dispose();
    const spread = Math.max(...base.flat()) - Math.min(...base.flat());
    // Bounds (max |Δlogit| / spread of the fp32 logits), set from what was measured here with
    // some margin. fp16 ~0.1%. q8 (int8 per-column weights, per-tensor dynamic uint8
    // activations): 0.4% on tiny, 2.4% on tiny-random. q4 (blocks of 64, symmetric): 5% on
    // tiny, 22% on tiny-random, whose 64-wide dot products of uniform ±0.25 weights do not
    // average out the ~7% per-weight rounding noise of 4 bits. That is the quantization error
    // itself, not a graph error (the q4 graph matches its dequantized weights to 1e-4, test
    // below); acceptable because these are 2-layer toy models where 4-bit noise is largest in
    // relative terms, and what a lesson shows is the trend fp16 < q8 < q4, which the printed
    // argmax agreement with fp32 makes visible.
    const bounds: Record<string, number> = preset === "tiny"
      ? { fp16: 0.005, q8: 0.02, q4: 0.1 }
      : { fp16: 0.005, q8: 0.05, q4: 0.3 };
    for (const dtype of ["fp16", "q8", "q4"] as ForgeDtype[]) {
      const model = await AutoModelForCausalLM.from_pretrained(id, { dtype });
      const logits = (await runSession(model, PROMPT_IDS, null, 0)).logits;
      const diff = maxAbsDiff(logits, base);
      const agree = logits.filter((row, i) => argmax(row) === argmax(base[i])).length;
      console.log(
        `  ${dtype}: max |Δlogit| = ${diff.toFixed(4)} (${
          ((100 * diff) / spread).toFixed(2)
        }% del rango ` +
          `${spread.toFixed(2)}), argmax igual a fp32 en ${agree}/${logits.length} posiciones`,
      );
      assert.ok(diff <= bounds[dtype] * spread, `${dtype}: ${diff} > ${bounds[dtype]} × ${spread}`);
      await model.dispose();
    }
  });
}

Deno.test("tiny-random: the q4 graph computes the model of its dequantized 4-bit weights", async () => {
  const dir = await ensureModel("tiny-random");
  const config: RefConfig = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const inFeatures = (name: string) =>
    name.includes("down_proj") ? config.intermediate_size : config.hidden_size;
  const inits = unstackInitializers(
    await readOnnxInitializers(join(dir, "onnx", "model_q4.onnx")),
    config,
  );
  const level = q4AccuracyLevel(DEFAULT_GRAPH, "q4");
  // Dequantized from the file's bytes following the MatMulNBits spec (not the forge's code).
  const expected = referenceForward(config, q4WeightGetter(inits, inFeatures), PROMPT_IDS);
  const model = await AutoModelForCausalLM.from_pretrained(useDir(dir), { dtype: "q4" });
  const { logits } = await runSession(model, PROMPT_IDS, null, 0);
  await model.dispose();
  const diff = maxAbsDiff(logits, expected);
  const spread = Math.max(...expected.flatMap((r) => [...r])) -
    Math.min(...expected.flatMap((r) => [...r]));
  console.log(
    `  max |ONNX q4 − referencia con pesos decuantizados| = ${diff.toExponential(2)} ` +
      `(${((100 * diff) / spread).toFixed(2)}% del rango)`,
  );
  // accuracy_level 0 computes in fp32: equal to 1e-4. Level 4 also quantizes the activations
  // to int8 per block inside the kernel, an error of q8's size (measured 1.1% of the spread);
  // a wrong packing (nibble order, block layout, zero point) gives errors ~100% of the spread.
  assert.ok(level === 0 ? diff <= 1e-4 : diff <= 0.03 * spread, `max abs diff ${diff}`);
});

Deno.test("external data: a model written with <file>.onnx_data loads and gives the same logits", async () => {
  const tmp = await Deno.makeTempDir({ dir: CACHE_DIR, prefix: "forge-test-" });
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
  const tmp = await Deno.makeTempDir({ dir: CACHE_DIR, prefix: "forge-test-" });
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
