/**
 * The forge's GGUF files: byte format (read back by @huggingface/gguf, an independent parser),
 * ggml's block quantizers, and llama.cpp (node-llama-cpp) running them: its next-token
 * distributions against the fp32 ONNX model and a float64 reference forward, its tokenizer
 * against transformers.js, and greedy text on `tiny` against the corpus's bigram chain.
 */
// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { AutoModelForCausalLM, env, Tensor } from "@huggingface/transformers";
import type { LlamaModel } from "node-llama-cpp";
import {
  buildGguf,
  ensureGguf,
  ensureModel,
  ForgeError,
  ggufIsCurrent,
  type GgufVariant,
  loadCorpus,
  permuteForRope,
} from "../lib/forge/mod.ts";
import {
  dequantizeQ4_0,
  dequantizeQ8_0,
  quantizeQ4_0,
  quantizeQ8_0,
} from "../lib/forge/gguf_quant.ts";
import { loadLlamaCpp } from "../lib/methods/ollama/standin/llama_cpp.ts";
import {
  llama2ChatText,
  llamaCppBackend,
} from "../lib/methods/ollama/standin/llama_cpp_backend.ts";
import { readSafetensors, type RefConfig, referenceForward } from "./forge_reference.ts";
import { chatContinuation, continuation, tokenizer as tinyTokenizer } from "./_tiny_oracle.ts";

const TMP = await Deno.makeTempDir({ prefix: "gguf-test-" });
const VARIANTS: GgufVariant[] = ["f32", "f16", "q8_0", "q4_0"];
const PROMPT_IDS = [1, 405, 557, 852, 337, 389, 17, 200, 911, 33];

Deno.test("Q8_0 and Q4_0 blocks: ggml's reference rounding, layout and error bounds", () => {
  // One block of 32 values j - 16: Q4_0's scale is (value of largest magnitude) / -8 = 2, and
  // q = min(15, trunc(x / 2 + 8.5)), so x ≈ (q - 8) · 2 rounds x / 2 to nearest, halves up,
  // and the largest value (15 → 7.5 → 16) is clipped to 15.
  const x = Float32Array.from({ length: 32 }, (_, j) => j - 16);
  const q4 = quantizeQ4_0(x);
  assert.equal(q4.length, 18);
  assert.deepEqual([q4[0], q4[1]], [0x00, 0x40]); // fp16 2.0
  assert.equal(q4[2], 0x80); // weight 0 (x=-16 → q 0) low nibble, weight 16 (x=0 → q 8) high
  const back4 = dequantizeQ4_0(q4);
  x.forEach((v, j) => {
    const expected = j === 31 ? 14 : 2 * Math.floor(v / 2 + 0.5);
    assert.equal(back4[j], expected, `q4_0 weight ${j}`);
  });
  // Q8_0: scale max|x| / 127, q = round half away from zero.
  const y = Float32Array.from({ length: 32 }, (_, j) => (j === 0 ? 127 : j === 1 ? -2.5 : j / 4));
  const q8 = quantizeQ8_0(y);
  assert.equal(q8.length, 34);
  assert.deepEqual([q8[0], q8[1]], [0x00, 0x3c]); // fp16 1.0
  assert.equal(new Int8Array(q8.buffer)[3], -3); // -2.5 → -3, not -2
  // Random rows: |x − x̂| ≤ d/2 (Q8_0) and ≤ d (Q4_0's asymmetric clip), d from each block.
  const r = Float32Array.from({ length: 32 * 64 }, (_, i) => Math.sin(i * 12.9898) * 3);
  const b8 = dequantizeQ8_0(quantizeQ8_0(r)), b4 = dequantizeQ4_0(quantizeQ4_0(r));
  for (let blk = 0; blk < 64; blk++) {
    const part = r.subarray(blk * 32, blk * 32 + 32);
    const amax = Math.max(...part.map(Math.abs));
    for (let j = 0; j < 32; j++) {
      const i = blk * 32 + j;
      // d is stored in fp16 (relative error ≤ 2^-11) and multiplies q up to 127 (8 in Q4_0).
      assert.ok(Math.abs(r[i] - b8[i]) <= (amax / 127) * (0.5 + 127 / 2048) + 1e-7);
      assert.ok(Math.abs(r[i] - b4[i]) <= (amax / 8) * (1 + 8 / 2048) + 1e-7);
    }
  }
});

Deno.test("RoPE row permutation: halves of each head become adjacent pairs", () => {
  // 2 heads of size 4, 1 column: head rows [a0 a1 b0 b1] → [a0 b0 a1 b1].
  const w = Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13]);
  assert.deepEqual([...permuteForRope(w, 2, 1)], [0, 2, 1, 3, 10, 12, 11, 13]);
});

Deno.test("tiny-random GGUF files read back by @huggingface/gguf: metadata, tensors, bytes", async () => {
  const reports = await buildGguf("tiny-random", VARIANTS, { dir: TMP, log: () => {} });
  const dir = await ensureModel("tiny-random", { log: () => {} });
  const { tensors } = readSafetensors(await Deno.readFile(join(dir, "model.safetensors")));
  const config: RefConfig = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const fileType = { f32: 0, f16: 1, q8_0: 7, q4_0: 2 };
  const matrixType = { f32: 0, f16: 1, q8_0: 8, q4_0: 2 };
  for (const r of reports) {
    const parsed = await gguf(r.path, { allowLocalFile: true, typedMetadata: true });
    const m = parsed.metadata as Record<string, any>;
    assert.equal(m["general.architecture"], "llama");
    assert.equal(m["general.file_type"], fileType[r.variant]);
    assert.equal(m["llama.embedding_length"], config.hidden_size);
    assert.equal(m["llama.attention.head_count_kv"], config.num_key_value_heads);
    assert.equal(m["llama.rope.dimension_count"], config.hidden_size / config.num_attention_heads);
    assert.equal(m["tokenizer.ggml.model"], "llama");
    assert.equal(m["tokenizer.ggml.tokens"].length, config.vocab_size);
    assert.equal(m["tokenizer.ggml.tokens"][2], "</s>");
    assert.equal(m["tokenizer.ggml.token_type"][3], 6); // <0x00> is a byte token
    assert.match(m["tokenizer.chat_template"], /\[INST\]/);
    assert.equal(parsed.tensorInfos.length, tensors.size);
    const size = (await Deno.stat(r.path)).size;
    assert.equal(size, r.bytes);
    for (const t of parsed.tensorInfos) {
      assert.equal(Number(t.offset) % 32, 0, `${t.name} aligned`);
      const type = t.shape.length === 1
        ? 0
        : t.name === "output.weight" && r.variant === "q4_0"
        ? 8
        : matrixType[r.variant];
      assert.equal(t.dtype, type, `${t.name} type in ${r.variant}`);
    }
    if (r.variant !== "f32") continue;
    // F32 bytes: v as is, q with rows permuted per head.
    const bytes = await Deno.readFile(r.path);
    const read = (name: string) => {
      const info = parsed.tensorInfos.find((t) => t.name === name)!;
      const n = info.shape.reduce((a, b) => a * Number(b), 1);
      const at = Number(parsed.tensorDataOffset + info.offset);
      return new Float32Array(bytes.slice(at, at + 4 * n).buffer);
    };
    const v = tensors.get("model.layers.1.self_attn.v_proj.weight")!.values;
    assert.deepEqual([...read("blk.1.attn_v.weight")], [...v]);
    const q = tensors.get("model.layers.0.self_attn.q_proj.weight")!.values;
    const H = config.hidden_size, D = H / config.num_attention_heads;
    const gq = read("blk.0.attn_q.weight");
    for (let row = 0; row < H; row++) {
      const head = Math.floor(row / D), k = row % D;
      const src = head * D + (k % 2) * (D / 2) + Math.floor(k / 2);
      assert.equal(gq[row * H + 5], q[src * H + 5], `q row ${row}`);
    }
  }
});

/** llama.cpp's next-token log-probabilities after each prompt position. */
async function llamaLogProbs(
  model: LlamaModel,
  ids: number[],
  vocab: number,
  exact: boolean,
): Promise<Float64Array[]> {
  // llama.cpp's defaults (flash attention on the CPU, F16 KV cache) compute attention in
  // fp16: `exact` turns both off to compare the weights and the graph alone.
  const context = await model.createContext({
    contextSize: 64,
    threads: 1,
    flashAttention: !exact,
    experimentalKvCacheKeyType: exact ? "F32" : "F16",
    experimentalKvCacheValueType: exact ? "F32" : "F16",
  });
  const seq = context.getSequence();
  const next = { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } };
  const out = await seq.controlledEvaluate(ids.map((t) => [t, { generateNext: next }] as any));
  await context.dispose();
  return out.map((o) => {
    const lp = new Float64Array(vocab).fill(-Infinity);
    for (const [t, p] of o!.next!.probabilities!) lp[t] = Math.log(p);
    return lp;
  });
}

function logSoftmax(row: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]);
  let z = 0;
  for (let i = 0; i < row.length; i++) z += Math.exp(row[i] - m);
  return Float64Array.from(row, (x) => x - m - Math.log(z));
}

/** max |Δ log p| over tokens the reference gives p ≥ 1e-6. */
function maxLogProbDiff(a: Float64Array[], b: Float64Array[]): number {
  let d = 0;
  a.forEach((row, i) =>
    row.forEach((x, t) => {
      if (x >= Math.log(1e-6)) d = Math.max(d, Math.abs(x - b[i][t]));
    })
  );
  return d;
}

Deno.test("llama.cpp on the GGUF = fp32 ONNX model: log-probs f32 ≤ 1e-4, f16 ≤ 1e-2; q8_0/q4_0 reported", async () => {
  const dir = await ensureModel("tiny-random", { log: () => {} });
  env.allowRemoteModels = false;
  env.localModelPath = join(dir, "..");
  const onnx = await AutoModelForCausalLM.from_pretrained("tiny-random", { dtype: "fp32" });
  const S = PROMPT_IDS.length;
  const out = await (onnx as any)({
    input_ids: new Tensor("int64", BigInt64Array.from(PROMPT_IDS.map(BigInt)), [1, S]),
    attention_mask: new Tensor("int64", new BigInt64Array(S).fill(1n), [1, S]),
  });
  await onnx.dispose();
  const V = out.logits.dims[2];
  const onnxLp = Array.from(
    { length: S },
    (_, i) => logSoftmax(out.logits.data.slice(i * V, (i + 1) * V)),
  );
  const { tensors } = readSafetensors(await Deno.readFile(join(dir, "model.safetensors")));
  const config: RefConfig = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const refLp = referenceForward(config, (n) => tensors.get(n)!.values, PROMPT_IDS).map(logSoftmax);
  assert.ok(maxLogProbDiff(refLp, onnxLp) < 1e-4, "the ONNX model is the reference model");
  // The same forward on fp16-rounded weights: what an exact engine gives on the f16 file.
  const half = (n: string) => tensors.get(n)!.values.map((x) => Math.f16round(x));
  const ref16Lp = referenceForward(config, half, PROMPT_IDS).map(logSoftmax);
  const llama = await loadLlamaCpp();
  // f32 matches to float rounding. ggml's F16 matrix product rounds the activations to fp16
  // too (its vec_dot type for F16 weights), ~5e-3 here on top of the weights' own rounding.
  const bound: Record<GgufVariant, number> = { f32: 1e-4, f16: 1e-2, q8_0: 0.3, q4_0: 1.5 };
  for (const variant of VARIANTS) {
    const path = await ensureGguf("tiny-random", variant, { dir: TMP, log: () => {} });
    const model = await llama.loadModel({ modelPath: path });
    const lp = await llamaLogProbs(model, PROMPT_IDS, V, true);
    const d16 = maxLogProbDiff(onnxLp, await llamaLogProbs(model, PROMPT_IDS, V, false));
    await model.dispose();
    const d = maxLogProbDiff(onnxLp, lp);
    // f16: the weights' own rounding is the model's; llama.cpp must match the fp16 reference.
    const own = variant === "f16" ? maxLogProbDiff(ref16Lp, lp) : d;
    const argmaxSame = lp.filter((row, i) =>
      row.indexOf(Math.max(...row)) === onnxLp[i].indexOf(Math.max(...onnxLp[i]))
    ).length;
    console.log(
      `  ${variant.padEnd(4)}: max |Δ log p| vs ONNX fp32 = ${d.toExponential(2)}, ` +
        `argmax igual en ${argmaxSame}/${S} posiciones (con flash attention y caché KV F16, lo de serie: ` +
        `${d16.toExponential(2)})`,
    );
    if (variant === "f16") {
      console.log(`        vs la referencia con pesos fp16: ${own.toExponential(2)}`);
    }
    assert.ok(own <= bound[variant], `${variant}: ${own}`);
  }
});

Deno.test("llama.cpp's tokenizer on the GGUF = transformers.js on the corpus and the chat template", async () => {
  const llama = await loadLlamaCpp();
  const path = await ensureGguf("tiny", "q8_0", { dir: TMP, log: () => {} });
  const model = await llama.loadModel({ modelPath: path });
  const texts = (await loadCorpus()).flatMap((p) => [p, ...p.split(/(?<=[.,;:?])\s/)]);
  texts.push("año ñ € 😀 x\ny", "hola  mundo");
  let differ = 0;
  for (const text of texts) {
    const hf = tinyTokenizer.encode(text, { add_special_tokens: false });
    const lc = [...model.tokenize(" " + text, false)];
    if (JSON.stringify(hf) !== JSON.stringify(lc)) differ++;
  }
  console.log(`  ${texts.length - differ}/${texts.length} textos con los mismos tokens`);
  assert.equal(differ, 0);
  const messages = [
    { role: "system" as const, content: "Eres breve." },
    { role: "user" as const, content: "¿Qué es la memoria?" },
    { role: "assistant" as const, content: "Bytes." },
    { role: "user" as const, content: "¿Y la caché KV?" },
  ];
  const hfText = tinyTokenizer.apply_chat_template(messages, {
    tokenize: false,
    add_generation_prompt: true,
  }) as unknown as string;
  assert.equal(llama2ChatText(messages), hfText);
  const hfIds = tinyTokenizer.encode(hfText, { add_special_tokens: false });
  assert.deepEqual([...model.tokenize(hfText, true)], hfIds);
  await model.dispose();
});

Deno.test("tiny on llama.cpp: greedy text = the corpus's bigram chain (f32, f16, q8_0)", async () => {
  for (const variant of ["f32", "f16", "q8_0"] as GgufVariant[]) {
    const backend = await llamaCppBackend({ preset: "tiny", variant, threads: 1, log: () => {} });
    for (const prompt of ["La memoria", "La cuantización reduce", " El modelo"]) {
      const r = await backend.generate(prompt, { maxTokens: 16 });
      assert.equal(r.text, continuation(prompt, 16), `${variant} «${prompt}»`);
      assert.equal(r.tokensOut, 16);
      assert.equal(r.tokensIn, tinyTokenizer.encode(prompt).length);
      assert.ok(r.serviceTimings!.promptEvalMs > 0 && r.serviceTimings!.evalMs > 0);
    }
    const chat = await backend.generate([{ role: "user", content: "¿Qué es un token?" }], {
      maxTokens: 12,
    });
    assert.equal(chat.text, chatContinuation("¿Qué es un token?", 12), `${variant} chat`);
    await backend.close();
  }
});

Deno.test("llama.cpp backend: streams token pieces, aborts keeping the text", async () => {
  const backend = await llamaCppBackend({
    preset: "tiny",
    variant: "q4_0",
    threads: 1,
    log: () => {},
  });
  const stream = backend.stream("La memoria", { maxTokens: 200 });
  const pieces: string[] = [];
  for await (const p of stream) {
    pieces.push(p);
    if (pieces.length === 5) stream.abort();
  }
  const r = await stream.result;
  assert.equal(r.stopReason, "abort");
  assert.equal(r.text, pieces.join(""));
  assert.ok(r.tokensOut >= 5 && r.tokensOut < 200);
  await backend.close();
});

Deno.test("GGUF: a cut-short file is rebuilt; llama.cpp's failure on a corrupt one is explained", async () => {
  const path = await ensureGguf("tiny-random", "q8_0", { dir: TMP, log: () => {} });
  const full = (await Deno.stat(path)).size;
  await Deno.truncate(path, 1000);
  assert.equal(await ggufIsCurrent("tiny-random", path), false);
  const notes: string[] = [];
  await ensureGguf("tiny-random", "q8_0", { dir: TMP, log: (l) => notes.push(l) });
  assert.equal((await Deno.stat(path)).size, full);
  assert.match(notes[0], /Fabricando el GGUF/);
  const broken = join(TMP, "roto.gguf");
  await Deno.writeFile(broken, (await Deno.readFile(path)).slice(0, 5000));
  await assert.rejects(
    llamaCppBackend({ modelPath: broken }),
    /llama\.cpp no pudo abrir .*corrupto/,
  );
});

Deno.test("GGUF: too little disk is refused before anything is written", async () => {
  const dir = join(TMP, "grande");
  await assert.rejects(
    buildGguf("llama-2-7b", ["f32"], {
      dir,
      log: () => {},
      shape: { num_hidden_layers: 320 },
    }),
    (e: unknown) => e instanceof ForgeError && /No hay espacio suficiente/.test(e.message),
  );
  assert.deepEqual([...Deno.readDirSync(dir)], []);
});

Deno.test({
  name: "cleanup",
  fn: async () => {
    await Deno.remove(TMP, { recursive: true });
  },
  sanitizeResources: false,
});
