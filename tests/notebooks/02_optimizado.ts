/** What notebooks/02_optimizado.ipynb must show (offline: kit-es; the KV section on tiny). */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Notebook } from "../../scripts/nb.ts";
import { taggedMime, taggedText } from "../_notebooks.ts";
import { formatCell } from "../../lib/show/mod.ts";
import { TINY_DIR, tokenizer } from "../_tiny_oracle.ts";
import { KIT_ES_MODEL_DIR, kitEsChatAnswer, kitEsContinuation } from "../_kit_es_oracle.ts";
import { KIT_ES_VOCAB } from "../../lib/forge/mod.ts";

/** Cells of a Markdown table's data rows. */
function rows(md: string): string[][] {
  return md.split("\n").slice(2).map((l) => l.slice(2, -2).split(" | "));
}

/** Asserts the key cells of the executed 02_optimizado notebook. */
export async function check02Optimizado(nb: Notebook): Promise<void> {
  assert.match(
    taggedText(nb, "load"),
    /Modelo kit-es \(local del kit, sin conexión\), dtype q8, dispositivo cpu/,
  );
  const stream = taggedText(nb, "stream");
  const q8Answer = await kitEsChatAnswer("¿Por qué cuantizar un modelo?", 32, "q8");
  assert.ok(stream.startsWith(`Respuesta: ${q8Answer}`), stream);
  assert.match(stream, /32 de salida/);

  const table = rows(taggedMime(nb, "dtype-table", "text/markdown"));
  const files = {
    fp32: "model.onnx",
    fp16: "model_fp16.onnx",
    q8: "model_quantized.onnx",
    q4: "model_q4.onnx",
  };
  assert.deepEqual(table.map((r) => r[0]), Object.keys(files));
  for (const r of table) {
    const bytes = statSync(join(KIT_ES_MODEL_DIR, "onnx", files[r[0] as keyof typeof files])).size;
    assert.equal(Number(r[1]), Number((bytes / 1e6).toFixed(2)), `${r[0]} file size`);
    assert.ok(Number(r[3]) > Number(r[2]), "peak above baseline");
  }
  // fp32 greedy text is exactly transformers.js's own greedy generation on the same file.
  assert.equal(table[0][8], await kitEsContinuation("La memoria de la GPU", 24));
  // Quantization saves memory at run time, not only on disk.
  const added = Object.fromEntries(table.map((r) => [r[0], Number(r[4])]));
  assert.ok(added.q4 < added.fp32 && added.q8 < added.fp32, JSON.stringify(added));

  const svg = taggedMime(nb, "dtype-plot", "image/svg+xml");
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect /g)?.length, 8, "two bars per dtype");
  assert.match(
    taggedText(nb, "dtype-verdict"),
    /el archivo q4 ocupa \d+\.\d veces menos que el fp32/,
  );
  assert.match(taggedText(nb, "device"), /no está disponible aquí|GPU disponible/);

  const config = JSON.parse(readFileSync(join(TINY_DIR, "config.json"), "utf8"));
  const headDim = config.hidden_size / config.num_attention_heads;
  const kvPerToken = 2 * config.num_hidden_layers * config.num_key_value_heads * headDim * 4;
  const promptTokens = tokenizer.encode("La memoria").length;
  const kv = rows(taggedMime(nb, "kv-table", "text/markdown"));
  assert.deepEqual(kv.map((r) => Number(r[0])), [128, 512, 1024].map((n) => n + promptTokens));
  for (const r of kv) {
    assert.equal(Number(r[1]), Number((Number(r[0]) * kvPerToken / 1e6).toFixed(2)));
    assert.ok(Number(r[2]) > 0);
  }
  assert.match(
    taggedText(nb, "kv-verdict"),
    new RegExp(`${(kvPerToken / 1024).toFixed(1)} KB por token`),
  );
  assert.match(taggedMime(nb, "kv-plot", "image/svg+xml"), /^<svg /);

  // The GPU section runs everywhere and says clearly when there is no GPU (CI has none).
  const status = taggedText(nb, "gpu-status");
  assert.match(status, /^(GPU disponible: |Sin GPU aquí: )/);
  const noGpu = status.startsWith("Sin GPU aquí");
  const gpuRows = rows(taggedMime(nb, "gpu-compare", "text/markdown"));
  assert.equal(gpuRows.length, 2);
  assert.equal(gpuRows[0][0], "cpu");
  assert.ok(Number(gpuRows[0][2]) > 0, "CPU tokens/s measured");
  const gpuPlot = taggedMime(nb, "gpu-plot", "image/svg+xml");
  assert.match(gpuPlot, /^<svg /);
  if (noGpu) {
    assert.match(status, /Esta máquina no tiene GPU|falta|ningún driver/);
    assert.equal(gpuRows[1][0], "webgpu");
    assert.match(gpuRows[1].at(-1)!, /sin GPU: no se mide/);
    assert.equal(gpuPlot.match(/<rect /g)?.length, 1, "one bar: the CPU");
    assert.match(taggedText(nb, "gpu-verdict"), /Esta máquina no tiene GPU utilizable/);
  } else {
    assert.equal(gpuRows[1][0], "webgpu");
    assert.match(taggedText(nb, "gpu-verdict"), /con la GPU el modelo genera \d+\.\d veces/);
  }
  // Method 2 as the session teaches it: LLM.int8()'s outlier columns, measured.
  const o =
    /con todo en int8: ([\d.]+) %; dejando 4 columnas atípicas en alta precisión: ([\d.]+) %/
      .exec(taggedText(nb, "outliers"));
  assert.ok(o && Number(o[2]) < Number(o[1]), taggedText(nb, "outliers"));
  // …and on kit-es itself: its forward over its 56 linear layers, with the layers that have
  // outliers. Its perplexity on validation text is that of a trained model: well under the
  // vocabulary size (what a model that learned nothing scores: a uniform guess), and above 1.
  const real = taggedText(nb, "outliers-kit-es");
  const ppl = /perplejidad ([\d.]+)/.exec(real);
  assert.ok(ppl && Number(ppl[1]) > 10 && Number(ppl[1]) < KIT_ES_VOCAB / 4, real);
  assert.match(real, /Capas lineales con algún rasgo atípico: \d+ de 56\./);
  // Dtypes in order, titles visible.
  assert.ok(
    svg.indexOf(">fp32<") < svg.indexOf(">fp16<") && svg.indexOf(">q8<") < svg.indexOf(">q4<"),
  );
  assert.match(svg, /<text [^>]*font-weight="bold">Memoria por formato de los pesos<\/text>/);
  assert.match(
    taggedText(nb, "reference"),
    /Todavía no hay ejecuciones de referencia|medido por el kit en hardware real/,
  );
  const ledger = taggedMime(nb, "ledger", "text/markdown");
  assert.match(ledger, /Reduce 75% memoria \| −75 % frente a FP32; −50 % frente a FP16 \|/);
  assert.match(ledger, /Checkpointing \|.*\| incorrecto \|/);
  assert.match(ledger, /LLM\.int8\(\)|columnas atípicas/);
  assert.match(ledger, /en kit-es, \d+ de 56 capas lineales tienen rasgos atípicos/);
  assert.match(ledger, /publicado \(Dettmers, Lewis, Belkada y Zettlemoyer/);
  // Quality claims decided by kit-es's measured perplexity, not left pending.
  assert.match(
    ledger,
    /~mismo rendimiento \| kit-es: perplejidad [\d,]+ frente a [\d,]+ en fp32 .*\| medido aquí \| (correcto|aproximado) \|/,
  );
  assert.match(
    ledger,
    /ligera pérdida \| kit-es: perplejidad .*mismo token que fp32 el [\d,]+ %.*\| medido aquí \| (correcto|aproximado|incorrecto) \|/,
  );

  // Quality per dtype on kit-es, in order; fp32 is the reference of the agreement columns.
  const quality = rows(taggedMime(nb, "quality-table", "text/markdown"));
  assert.deepEqual(quality.map((r) => r[0]), ["fp32", "fp16", "q8", "q4"]);
  assert.equal(quality[0][3], "— (referencia)");
  for (const r of quality.slice(1)) {
    const agree = Number(r[3].replace(" %", "").replace(",", "."));
    assert.ok(agree > 50 && agree <= 100, r.join(" | "));
  }
  const qplot = taggedMime(nb, "quality-plot", "image/svg+xml");
  assert.match(qplot, /font-weight="bold">Qué cambia al cuantizar kit-es: coincidencia con fp32</);
  assert.equal(qplot.match(/<rect /g)?.length, 8, "two bars per dtype");
  // The answers side by side: fp32's is transformers.js's own greedy answer to that question.
  const answersMd = taggedMime(nb, "quality-answers", "text/markdown");
  const question = /Respuesta a «(.+?)» \(48 tokens\)/.exec(answersMd)![1];
  const answers = rows(answersMd);
  assert.deepEqual(answers.map((r) => r[0]), ["fp32", "fp16", "q8", "q4"]);
  assert.equal(answers[0][1], formatCell(await kitEsChatAnswer(question, 48)));
}
