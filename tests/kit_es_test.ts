// deno-lint-ignore-file no-explicit-any
/**
 * kit-es: the corpus split, the chat rendering of training examples, the committed weights
 * (hash check, no fallback) and the forged ONNX model against a reference forward pass.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor } from "@huggingface/transformers";
import { CACHE_DIR, ROOT } from "../lib/core/mod.ts";
import { tempDir } from "./_notebooks.ts";
import {
  buildModel,
  ensureModel,
  ForgeError,
  getPreset,
  KIT_ES_DIR,
  KIT_ES_NOTE,
  loadChatTokenizer,
  loadKitEsCorpus,
  normalizeQuestion,
  splitKitEs,
  splitManifest,
  TRAINED_FILES,
  validationQuestions,
} from "../lib/forge/mod.ts";
import { qaExamples } from "../lib/forge/kit_es_data.ts";
import { safetensorsWeights } from "../lib/forge/trained.ts";
import { readSafetensors, type RefConfig, referenceForward } from "./forge_reference.ts";

env.allowRemoteModels = false;
env.cacheDir = join(CACHE_DIR, "hf");

const MODEL_DIR = join(KIT_ES_DIR, "model");

Deno.test("kit-es split: whole Q&A groups, ≥ 10 % for validation, equal to data/kit_es/split.json", async () => {
  const corpus = await loadKitEsCorpus();
  const { train, val } = splitKitEs(corpus);
  const trainIds = new Set(train.groups.map((g) => g.id));
  assert.ok(val.groups.every((g) => !trainIds.has(g.id)), "a validation group leaked");
  const trainTexts = new Set(train.paragraphs.map((p) => p.text));
  assert.ok(val.paragraphs.every((p) => !trainTexts.has(p.text)), "a validation paragraph leaked");
  // No validation phrasing was seen in training, even where two groups share one (compared
  // here without case, punctuation or extra spaces).
  const norm = (q: string) => q.toLowerCase().replace(/[^\p{L}\p{N} ]/gu, "").replace(/ +/g, " ");
  const trainQuestions = new Set(train.groups.flatMap((g) => g.preguntas.map(norm)));
  for (const g of val.groups) {
    for (const q of g.preguntas) assert.ok(!trainQuestions.has(norm(q)), `${g.id}: «${q}»`);
  }
  assert.equal(train.groups.length + val.groups.length, corpus.groups.length);
  assert.ok(val.groups.length / corpus.groups.length >= 0.1, "fewer than 10 % of the groups");
  assert.ok(val.paragraphs.length > 0);
  const committed = JSON.parse(await Deno.readTextFile(join(KIT_ES_DIR, "split.json")));
  assert.deepEqual(committed, JSON.parse(JSON.stringify(splitManifest({ train, val }))));
});

Deno.test("kit-es validation questions: every validation phrasing once, groups first, never a training phrasing", async () => {
  const { train, val } = splitKitEs(await loadKitEsCorpus());
  const qs = validationQuestions(val);
  const expected = val.groups.flatMap((g) => g.preguntas.map((q) => `${g.id}|${q}|${g.respuesta}`));
  assert.deepEqual(qs.map((q) => `${q.id}|${q.question}|${q.answer}`).sort(), expected.sort());
  // The first round is one question per group, in the groups' order.
  assert.deepEqual(qs.slice(0, val.groups.length).map((q) => q.id), val.groups.map((g) => g.id));
  const trainQuestions = new Set(train.groups.flatMap((g) => g.preguntas));
  assert.ok(qs.every((q) => !trainQuestions.has(q.question)));
  // A made-up split: groups with 1, 3 and 2 phrasings come back in rounds.
  const toy = validationQuestions({
    paragraphs: [],
    groups: [
      { id: "a", tema: "t", preguntas: ["a1"], respuesta: "A" },
      { id: "b", tema: "t", preguntas: ["b1", "b2", "b3"], respuesta: "B" },
      { id: "c", tema: "t", preguntas: ["c1", "c2"], respuesta: "C" },
    ],
  } as any);
  assert.deepEqual(toy.map((q) => q.question), ["a1", "b1", "c1", "b2", "c2", "b3"]);
});

Deno.test("kit-es corpus: no phrasing belongs to two training groups (one wording, one answer)", async () => {
  const { train } = splitKitEs(await loadKitEsCorpus());
  const owner = new Map<string, string>();
  const twice: string[] = [];
  for (const g of train.groups) {
    for (const q of new Set(g.preguntas.map(normalizeQuestion))) {
      const o = owner.get(q);
      if (o !== undefined) twice.push(`«${q}»: ${o}, ${g.id}`);
      else owner.set(q, g.id);
    }
  }
  assert.deepEqual(twice, []);
  // The comparison ignores case and punctuation, not what names a different thing.
  assert.equal(normalizeQuestion("¿Qué es Llama-2-7B?"), normalizeQuestion("qué es llama 2 7b"));
  assert.notEqual(normalizeQuestion("¿Qué es %%deno?"), normalizeQuestion("¿Qué es Deno?"));
});

Deno.test("kit-es chat examples are the tokens of the Llama-2 template string the model sees", async () => {
  const tok = await loadChatTokenizer(MODEL_DIR);
  env.localModelPath = KIT_ES_DIR + "/";
  const hf = await AutoTokenizer.from_pretrained("model");
  const group = {
    id: "t-1",
    tema: "t",
    preguntas: ["¿Qué es la cuantización?", "Explica la cuantización.", "¿Qué es INT8?"],
    respuesta: "Guardar los pesos con menos bits.",
  };
  for (const ex of qaExamples(tok, group)) {
    const text = hf.decode(ex.ids, { skip_special_tokens: false });
    // Independent oracle: the template's documented Llama-2 layout, encoded as a plain string.
    assert.match(text, /^<s>\[INST\] (<<SYS>>\n[^]*\n<<\/SYS>>\n\n)?[^]+ \[\/INST\] /);
    assert.ok(text.endsWith(` ${group.respuesta} </s>`), text);
    assert.deepEqual(ex.ids, hf.encode(text, { add_special_tokens: false }));
    // The loss starts right after the prompt the kit sends at inference (add_generation_prompt).
    const prompt = hf.decode(ex.ids.slice(0, ex.lossFrom), { skip_special_tokens: false });
    assert.ok(prompt.endsWith(" [/INST]"), prompt);
  }
});

async function copyModelDir(to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for (const f of [TRAINED_FILES.weights, TRAINED_FILES.hash, ...TRAINED_FILES.tokenizer]) {
    await Deno.copyFile(join(MODEL_DIR, f), join(to, f));
  }
}

Deno.test("kit-es: missing or corrupt weights stop the build with a Spanish error naming the file", async () => {
  const tmp = tempDir("kit-es-bad-");
  try {
    const weights = join(tmp, "w");
    const out = join(tmp, "built");
    await copyModelDir(weights);
    // One flipped byte in the middle of the tensors.
    const bytes = await Deno.readFile(join(weights, TRAINED_FILES.weights));
    bytes[bytes.length >> 1] ^= 0x40;
    await Deno.writeFile(join(weights, TRAINED_FILES.weights), bytes);
    await assert.rejects(
      () => buildModel("kit-es", out, { weightsDir: weights, log: () => {} }),
      (e: Error) => {
        assert.ok(e instanceof ForgeError);
        assert.match(e.message, /dañados/);
        assert.match(e.message, /w\/model\.safetensors/);
        assert.match(e.message, /git checkout -- .*model\.safetensors/);
        assert.match(e.message, /entrenarlo/);
        return true;
      },
    );
    await Deno.remove(join(weights, TRAINED_FILES.weights));
    await assert.rejects(
      () => buildModel("kit-es", out, { weightsDir: weights, log: () => {} }),
      /Faltan los pesos entrenados de kit-es: no existe .*model\.safetensors.*git checkout/,
    );
    await Deno.remove(join(weights, TRAINED_FILES.hash));
    await assert.rejects(
      () => buildModel("kit-es", out, { weightsDir: weights, log: () => {} }),
      /Falta .*model\.safetensors\.sha256/,
    );
    // Nothing was built, and certainly not another model in its place.
    await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("kit-es: the committed weights match their recorded SHA-256 and decode like the test reader", async () => {
  const bytes = await Deno.readFile(join(MODEL_DIR, TRAINED_FILES.weights));
  const recorded = (await Deno.readTextFile(join(MODEL_DIR, TRAINED_FILES.hash))).split(/\s+/)[0];
  assert.equal(createHash("sha256").update(bytes).digest("hex"), recorded);
  const shape = getPreset("kit-es").shape;
  const source = safetensorsWeights(bytes, shape, "kit-es");
  const { tensors } = readSafetensors(bytes);
  for (const name of ["model.embed_tokens.weight", "model.layers.3.self_attn.k_proj.weight"]) {
    const a = source.get(name), b = tensors.get(name)!.values;
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) assert.equal(a[i], b[i]);
  }
});

Deno.test("kit-es: fp32 ONNX logits equal a reference forward of the committed fp16 weights", async () => {
  const dir = await ensureModel("kit-es", { log: () => {} });
  const { tensors } = readSafetensors(await Deno.readFile(join(MODEL_DIR, TRAINED_FILES.weights)));
  const config: RefConfig = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  assert.ok(config.num_key_value_heads < config.num_attention_heads, "GQA must be on");
  const ids = [1, 288, 386, 555, 406, 379, 853, 307, 422, 40, 100, 2000];
  const expected = referenceForward(config, (n) => tensors.get(n)!.values, ids);
  env.localModelPath = join(dir, "..") + "/";
  const model: any = await AutoModelForCausalLM.from_pretrained("kit-es", { dtype: "fp32" });
  const out = await model({
    input_ids: new Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  });
  const V = config.vocab_size;
  const got = out.logits.data as Float32Array;
  let diff = 0, spread = 0;
  for (let t = 0; t < ids.length; t++) {
    for (let v = 0; v < V; v++) {
      diff = Math.max(diff, Math.abs(got[t * V + v] - expected[t][v]));
      spread = Math.max(spread, Math.abs(expected[t][v]));
    }
  }
  console.log(
    `  max |ONNX − referencia| = ${diff.toExponential(2)} (|logit| máx ${spread.toFixed(1)})`,
  );
  assert.ok(diff <= 1e-3, `max abs diff ${diff}`);
  await model.dispose();
});

Deno.test("kit-es: the preset is a Llama with grouped KV heads, 10–30 M parameters, context ≥ 512", () => {
  const s = getPreset("kit-es").shape;
  assert.ok(s.num_key_value_heads < s.num_attention_heads);
  assert.ok(s.max_position_embeddings >= 512);
  const H = s.hidden_size, d = H / s.num_attention_heads;
  const layer = H * H * 2 + 2 * H * s.num_key_value_heads * d + 3 * H * s.intermediate_size + 2 * H;
  const params = 2 * s.vocab_size * H + s.num_hidden_layers * layer + H;
  assert.ok(params >= 10e6 && params <= 30e6, `${params}`);
  assert.ok(s.vocab_size >= 4096 && s.vocab_size <= 8192);
  assert.ok(ROOT.length > 0);
  // The one-line description shown with offline text states this very count.
  const millions = (params / 1e6).toFixed(1).replace(".", ",");
  assert.ok(KIT_ES_NOTE.includes(`${millions} M de parámetros`), `${KIT_ES_NOTE} vs ${params}`);
});
