/** What notebooks/01_pipeline.ipynb must show (offline, on kit-es). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Notebook } from "../../scripts/nb.ts";
import { taggedMime, taggedText } from "../_notebooks.ts";
import { kitEsChatAnswer, kitEsTextCompletion } from "../_kit_es_oracle.ts";
import { KIT_ES_NOTE } from "../../lib/forge/mod.ts";

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const REFERENCE_FILE = new URL("../../data/reference_runs/h200_2026-12-02.json", import.meta.url);

/** Asserts the key cells of the executed 01_pipeline notebook. */
export async function check01Pipeline(nb: Notebook): Promise<void> {
  // Llama-2-7B by hand: 6 738 415 616 parameters × 4 / 2 / 1 / 0.5 bytes.
  const weights = taggedText(nb, "weights-7b");
  for (const [dtype, bytes] of [["fp32", 4], ["fp16", 2], ["q8", 1], ["q4", 0.5]] as const) {
    const gb = Number((6_738_415_616 * bytes / 1e9).toFixed(2));
    assert.match(weights, new RegExp(`\\| ${dtype} \\| ${esc(String(gb))} \\|`));
  }
  // KV cache: 2 · 32 layers · 32 heads · 128 dims · 2 bytes = 0.5 MiB per token, linear.
  const kv = taggedText(nb, "kv-7b");
  for (const tokens of [512, 1024, 2048, 4096, 8192]) {
    assert.match(kv, new RegExp(`\\| ${tokens} \\| ${tokens / 2} \\| 0.5 \\|`));
  }
  const three = taggedText(nb, "three-lines");
  const prompt = "La memoria de la GPU";
  assert.ok(three.includes(await kitEsTextCompletion(prompt, 20)), three);

  const backend = taggedText(nb, "backend");
  assert.match(
    backend,
    /Modelo: kit-es \(modelo local del kit, sin conexión\); dtype elegido por la biblioteca: fp32; dispositivo: cpu/,
  );
  assert.ok(backend.includes(KIT_ES_NOTE), backend);
  const streamed = taggedText(nb, "stream");
  assert.equal(streamed, `Respuesta: ${await kitEsChatAnswer("¿Qué es la cuantización?", 40)}`);
  const row = taggedMime(nb, "measures", "text/markdown").split("\n").at(-1)!.split(" | ");
  assert.equal(row[0], "| Pipeline");
  assert.equal(row[1], "offline");
  const tokensOut = Number(row[4]);
  assert.ok(tokensOut >= 1 && tokensOut <= 40, `1–40 tokens out (maxTokens 40): ${row[4]}`);
  const [ttft, total] = [Number(row[5]), Number(row[7])];
  assert.ok(ttft > 0 && ttft <= total, row.join("|"));
  // Method 1 is the library's defaults, and it accepts dtype and device.
  assert.match(
    taggedText(nb, "pipeline-options"),
    /Con opciones, la sesión que creó la biblioteca: dtype q4, dispositivo cpu\. Por defecto: dtype fp32/,
  );
  const ledger = taggedMime(nb, "ledger", "text/markdown");
  assert.match(ledger, /2K tokens = 4GB \| 1,1 GB \(FP16, lote 1\) \| fórmula \| incorrecto \|/);
  // The pipeline's speed claim, from the reference run on a real GPU (labelled, never mixed).
  // Expected figures read from the committed reference run itself.
  const ref = JSON.parse(readFileSync(REFERENCE_FILE, "utf8"));
  const tps = (id: string) =>
    ref.configurations.find((c: { id: string }) => c.id === id).decodeTokensPerSecond as number;
  const [m1, m2] = [tps("metodo1-cpu-fp32"), tps("metodo2-webgpu-q4-fused")];
  const es1 = (x: number) => x.toLocaleString("es-ES", { maximumFractionDigits: 1 });
  const expected = `No aprovecha hardware | valores por defecto (fp32, cpu): ${es1(m1)} tok/s; ` +
    `método 2 (q4, webgpu): ${es1(m2)} tok/s (×${es1(m2 / m1)}) | medido por el kit en ` +
    `hardware real (${ref.machine.gpu}, ${ref.date}) | correcto |`;
  assert.ok(ledger.includes(expected), `${expected}\n${ledger}`);
  assert.match(ledger, /Activaciones: ~15-25 GB adicionales \|.*\| incorrecto \|/);
}
