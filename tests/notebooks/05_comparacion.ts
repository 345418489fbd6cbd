/** What notebooks/05_comparacion.ipynb must show (offline, no keys). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Notebook } from "../../scripts/nb.ts";
import { taggedCell, taggedMime, taggedText } from "../_notebooks.ts";
import { pidsMatching } from "../_processes.ts";

function rows(md: string): string[][] {
  return md.split("\n").slice(2).map((l) => l.slice(2, -2).split(" | "));
}

/** "12,3 [4,5–67,8]" (Spanish decimals, "." grouping thousands) → [median, min, max]. */
function stat(cell: string): number[] {
  const m = /^([\d.,]+) \[([\d.,]+)–([\d.,]+)\]$/.exec(cell);
  assert.ok(m, cell);
  return m.slice(1).map((x) => Number(x.replace(/\./g, "").replace(",", ".")));
}

/** Asserts the key cells of the executed 05_comparacion notebook. */
export async function check05Comparacion(nb: Notebook): Promise<void> {
  const backends = rows(taggedMime(nb, "backends", "text/markdown"));
  assert.deepEqual(backends.map((r) => r[1]), ["Pipeline", "Optimizado", "Ollama", "Groq"]);
  assert.deepEqual(backends.map((r) => r[2]), [
    "offline (modelo local del kit)",
    "offline (modelo local del kit)",
    "offline (sustituto local del kit)",
    "offline (sustituto local del kit)",
  ]);

  assert.deepEqual(rows(taggedMime(nb, "prompts", "text/markdown")).map((r) => r[1]), [
    "corto",
    "medio",
    "largo",
  ]);

  // The slides, word for word: the examples of what was quoted wrongly before.
  const sessionMd = taggedMime(nb, "session", "text/markdown");
  assert.match(sessionMd, /Diapositiva «Nuestros 4 Métodos»/);
  assert.match(sessionMd, /Diapositiva «Comparación de Métodos»/);
  assert.match(sessionMd, /\| Groq \| Muy Alta \| Ninguna \| Fácil \| Freemium \| Apps rápidas \|/);
  assert.match(
    sessionMd,
    /\| Optimizado \| Alta \| Media \| Intermedia \| Gratis \| Producción local \|/,
  );
  assert.match(sessionMd, /- Para producción: Groq/);
  assert.doesNotMatch(sessionMd, /lenta|muy fácil/);

  const tables = (taggedCell(nb, "table").outputs ?? []).filter((o) =>
    o.data?.["text/markdown"] !== undefined
  ).map((o) => {
    const v = o.data?.["text/markdown"];
    return Array.isArray(v) ? v.join("") : String(v ?? "");
  });
  const table = rows(tables[0]);
  assert.equal(table.length, 4, "one row per method");
  for (const r of table) {
    assert.equal(r[3], "9", "3 prompts × 3 repetitions");
    assert.match(r[2], /^offline, (local|sustituto)$/);
    const [ttft, ttftMin, ttftMax] = stat(r[4]);
    const [total, , totalMax] = stat(r[6]);
    assert.ok(ttftMin <= ttft && ttft <= ttftMax);
    assert.ok(ttft <= total && ttftMax <= totalMax, r.join(" | "));
    // kit-es (all four methods offline: the same weights) may end an answer with </s>
    // before 48 tokens.
    // Shown as "median [min–max]" when the runs differ, else as one number.
    const [tokensOut, outMin, outMax] = r[7].includes("[")
      ? stat(r[7])
      : Array(3).fill(Number(r[7]));
    assert.ok(
      1 <= outMin && outMin <= tokensOut && tokensOut <= outMax && outMax <= 48,
      `tokens out: ${r[7]}`,
    );
    assert.ok(stat(r[5])[0] > 0, "a decode speed was measured");
    // Each method's own process: tens to hundreds of MB, not the kernel's RSS with everything loaded.
    assert.match(r[8], /^\d+$/, `memory of method ${r[0]}`);
    assert.ok(Number(r[8]) > 10 && Number(r[8]) < 2000, r[8]);
  }
  // The services' own timings sit beside the client's, in Spanish.
  // (columns: #, Modelo, Motor, Tiempos del propio servicio, …)
  assert.match(tables[1].split("\n")[0], /^\| # \| Modelo \| Motor \| Tiempos del propio servicio/);
  const service = rows(tables[1]);
  // Offline, the four methods reach the same weights (kit-es), in different formats.
  assert.deepEqual(service.map((r) => r[1]), ["kit-es", "kit-es", "kit-es", "kit-offline-kit-es"]);
  assert.match(service[0][2], /^onnxruntime \(transformers\.js\), fp32, cpu$/);
  assert.match(service[2][2], /^(llama\.cpp|onnxruntime)/);
  assert.match(service[2][3], /generación \d/);
  assert.match(service[3][3], /cola \d/);
  assert.doesNotMatch(tables.join("\n"), /queueMs|promptMs|eval_duration/);
  // What the stand-ins measure honestly offline: the protocol's cost, client minus server.
  const protocol = taggedText(nb, "table");
  for (const n of ["3. Ollama", "4. Groq"]) {
    assert.match(protocol, new RegExp(`${n}: -?[\\d,]+ \\[-?[\\d,]+–-?[\\d,]+\\] ms por petición`));
  }

  const charts = (taggedCell(nb, "charts").outputs ?? []).filter((o) => o.data?.["image/svg+xml"]);
  assert.equal(charts.length, 3, "tok/s, TTFT, memory");
  for (const c of charts) assert.match(String(c.data!["image/svg+xml"]), /^<svg xmlns=/);

  const claims = rows(taggedMime(nb, "claims", "text/markdown"));
  assert.deepEqual(claims.map((r) => r[2]), ["Media", "Alta", "Media", "Muy Alta"]);
  assert.deepEqual(claims.map((r) => r[6]), ["Fácil", "Intermedia", "Fácil", "Fácil"]);
  assert.deepEqual(claims.map((r) => r[7]), ["2", "3", "4", "3"], "set-up steps per method");
  assert.match(claims[2][3], /no medible sin conexión/);
  assert.match(claims[3][3], /no medible sin conexión/);
  assert.match(
    claims[3][9],
    /^\d+,\d{6} USD por \d+ tokens, al precio de Groq: publicado \(Groq, groq\.com\/pricing, sin fecha\)$/,
  );

  // The committed reference run, labelled with machine and date, in Spanish, never mixed.
  const reference = taggedText(nb, "reference");
  assert.match(
    reference,
    /Ejecución de referencia h200_2026-12-02\.json, medido por el kit en hardware real \(NVIDIA H200, 2026-12-02\)/,
  );
  // One row against the committed file: prefill rounded to units, decode to one decimal.
  const ref = JSON.parse(
    readFileSync(
      new URL("../../data/reference_runs/h200_2026-12-02.json", import.meta.url),
      "utf8",
    ),
  );
  const fp16 = ref.configurations.find((c: { id: string }) => c.id === "metodo2-webgpu-fp16-fused");
  const es = (x: number, d: number) => x.toLocaleString("es-ES", { maximumFractionDigits: d });
  assert.ok(
    reference.includes(
      `| Método 2: fp16 en webgpu (grafo fusionado) | ${es(fp16.prefillTokensPerSecond, 0)} | ${
        es(fp16.decodeTokensPerSecond, 1)
      } |`,
    ),
    reference,
  );
  assert.doesNotMatch(reference, /kit-webgpu|python-cuda|\(fused|medido aquí|publicado \(/);
  // Published figures in their own table, each labelled with source and date.
  const published = rows(taggedMime(nb, "published", "text/markdown"));
  assert.ok(published.length >= 2);
  for (const r of published) assert.match(r[2], /^publicado \(.+, \d{4}(-\d{2})?\)$/);
  const ledger = rows(taggedMime(nb, "ledger", "text/markdown"));
  assert.ok(ledger.some((r) => /500\+ tokens\/segundo/.test(r[1]) && /publicado \(/.test(r[3])));
  assert.ok(
    ledger.some((r) => /<100ms/.test(r[1]) && r[4] === "pendiente"),
    "Groq latency not decided offline",
  );

  const rec = taggedText(nb, "recommendations");
  for (
    const t of [
      "Para aprender: Pipeline",
      "Para máximo rendimiento: Optimizado",
      "Para desarrollo local: Ollama",
      "Para producción: Groq",
    ]
  ) {
    assert.ok(rec.includes(t), t);
  }
  assert.match(rec, /no salen de la tabla de arriba/);

  // close() stopped the stand-in servers the notebook started.
  assert.deepEqual(await pidsMatching("groq_process\\.ts"), [], "no Groq stand-in left running");
}
