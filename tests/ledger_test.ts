/** The slides quoted exactly, and the claims ledger's figures against independent arithmetic. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  claimsLedger,
  loadClaims,
  loadLedgerClaims,
  loadReferenceRuns,
  numericVerdict,
  parseReferenceRun,
} from "../lib/measure/mod.ts";

const slides = readFileSync(new URL("../data/sesion2_diapositivas.txt", import.meta.url), "utf8");
const flat = (s: string) => s.replace(/\*\*/g, "").replace(/\s+/g, " ");
const slideLines = slides.split("\n").map((l) => l.trim());
/** Strips the emoji the PDF extraction left after some method names. */
const noEmoji = (s: string) => s.replace(/[^\p{L}\p{N}\s.,:+%<>~/()-]/gu, "").trim();

Deno.test("session tables: every row is a line of the slide, word for word, under its title", () => {
  const claims = loadClaims();
  assert.deepEqual(claims.tables.map((t) => t.slide), [
    "Nuestros 4 Métodos",
    "Comparación de Métodos",
  ]);
  for (const table of claims.tables) {
    const at = slideLines.indexOf(table.slide);
    assert.ok(at >= 0, `slide title «${table.slide}»`);
    const after = slideLines.slice(at, at + 12).map((l) => l.split("\t").map(noEmoji).join("\t"));
    assert.ok(after.includes(table.columns.join("\t")), `header of ${table.slide}`);
    for (const row of table.rows) assert.ok(after.includes(row.join("\t")), row.join(" | "));
  }
  // The examples: the comparison slide says Media/Alta/Media/Muy Alta and Fácil/Intermedia/Fácil/Fácil.
  const cmp = claims.tables[1];
  assert.deepEqual(cmp.rows.map((r) => r[1]), ["Media", "Alta", "Media", "Muy Alta"]);
  assert.deepEqual(cmp.rows.map((r) => r[3]), ["Fácil", "Intermedia", "Fácil", "Fácil"]);
});

Deno.test("session recommendations: the four bullets of «Recomendaciones», word for word", () => {
  const { recommendations } = loadClaims();
  const at = slideLines.indexOf(recommendations.slide);
  assert.ok(at >= 0);
  const bullets = slideLines.slice(at, at + 10).filter((l) => l.startsWith("•"))
    .map((l) => l.slice(1).trim());
  assert.deepEqual(recommendations.items.map((i) => i.text), bullets);
});

Deno.test("ledger: every quote is in the slides, every slide title exists, ids are unique", () => {
  const claims = loadLedgerClaims();
  assert.ok(claims.length >= 25);
  assert.equal(new Set(claims.map((c) => c.id)).size, claims.length);
  for (const c of claims) {
    for (const part of c.quote.split(" / ")) assert.ok(flat(slides).includes(part), part);
    if (!c.slide.startsWith("diapositiva del método 1")) {
      assert.ok(slideLines.some((l) => l.includes(c.slide)), c.slide);
    }
  }
  for (
    const q of [
      "28 GB",
      "15-25 GB",
      "50-80 GB",
      "+40GB",
      "exponencialmente",
      "2K tokens = 4GB",
      "8K tokens = 16GB",
      "~mismo rendimiento",
      "ligera pérdida",
      "Reduce 75%",
      "Cabe en T4",
      "500+ tokens/segundo",
      "<100ms",
      "8-16 núcleos",
      "2,000-10,000 núcleos",
      "Checkpointing",
      "+500k modelos",
    ]
  ) assert.ok(claims.some((c) => c.quote.includes(q)), `the ledger covers «${q}»`);
});

Deno.test("numericVerdict: inside/near the claim → correcto, within 35 % → aproximado", () => {
  assert.equal(numericVerdict(28, 26.95), "correcto");
  assert.equal(numericVerdict(40, 34.5), "aproximado");
  assert.equal(numericVerdict(4, 1.07), "incorrecto");
  assert.equal(numericVerdict([15, 25], 20), "correcto");
  assert.equal(numericVerdict([15, 25], 12), "aproximado");
  assert.equal(numericVerdict([50, 80], 17.3), "incorrecto");
});

Deno.test("ledger: memory figures agree with hand arithmetic on Llama-2-7b's config", () => {
  const rows = Object.fromEntries(claimsLedger().map((r) => [r.id, r]));
  // 32 layers × 32 heads × 128 dims × 2 (K, V) × 2 bytes = 524 288 bytes per token.
  const kv = (t: number) => 2 * 32 * 32 * 128 * 2 * t;
  assert.equal(kv(2048), 1_073_741_824);
  assert.match(rows["kv-2k-4gb"].kit, /^1,1 GB/);
  assert.match(rows["kv-8k-16gb"].kit, /^4,3 GB/);
  assert.equal(rows["kv-2k-4gb"].verdict, "incorrecto");
  assert.equal(rows["kv-exponencial"].verdict, "incorrecto");
  // 6 738 415 616 parameters × 4 bytes = 26.95 GB.
  assert.match(rows["pesos-28gb"].kit, /^27 GB en FP32 \(6738 M/);
  assert.equal(rows["pesos-28gb"].verdict, "correcto");
  assert.equal(rows["checkpointing"].verdict, "incorrecto");
  assert.equal(rows["int8-75"].verdict, "aproximado");
  for (const r of Object.values(rows)) {
    assert.ok(["correcto", "aproximado", "incorrecto", "pendiente"].includes(r.verdict));
    if (r.verdict !== "pendiente") assert.ok(r.why.length > 10, r.id);
  }
});

Deno.test("ledger: quality is pending without perplexity, decided with it", () => {
  const pending = claimsLedger({}, { topic: "calidad" });
  assert.deepEqual(pending.map((r) => r.verdict), ["pendiente", "pendiente"]);
  assert.match(pending[0].why, /kit-es/);
  const measured = claimsLedger({ perplexity: { fp32: 10, fp16: 10.01, q8: 10.3 } }, {
    topic: "calidad",
  });
  assert.deepEqual(measured.map((r) => [r.verdict, r.origin]), [
    ["correcto", "medido aquí"],
    ["correcto", "medido aquí"],
  ]);
  const worse = claimsLedger({ perplexity: { fp32: 10, q8: 14 } }, { topic: "calidad" });
  assert.equal(worse[1].verdict, "incorrecto");
});

Deno.test("ledger: a quality loss hidden from perplexity shows in the changed token choices", () => {
  // Lower perplexity (rounding noise on an over-confident model) but 4 % of choices moved:
  // a slight loss, as the slide says; 40 % moved is no longer slight.
  const slight = claimsLedger({
    perplexity: { fp32: 239, fp16: 239, q8: 238.8 },
    agreement: { fp16: 0.999, q8: 0.96 },
  }, { topic: "calidad" });
  assert.deepEqual(slight.map((r) => r.verdict), ["correcto", "correcto"]);
  assert.match(slight[1].kit, /mismo token que fp32 el 96 %/);
  assert.match(slight[1].why, /4 % de los tokens .* cambia.*en las elecciones/);
  const big = claimsLedger({ perplexity: { fp32: 239, q8: 236 }, agreement: { q8: 0.6 } }, {
    topic: "calidad",
  });
  assert.equal(big[1].verdict, "incorrecto");
  const none = claimsLedger({ perplexity: { fp32: 10, q8: 10 }, agreement: { q8: 1 } }, {
    topic: "calidad",
  });
  assert.equal(none[1].verdict, "aproximado");
  assert.match(none[1].why, /No se mide pérdida/);
});

Deno.test("ledger: Groq latency is pending offline and measured online; hardware from the machine", () => {
  const off = claimsLedger({ groq: { mode: "offline", tokensPerSecond: 50, ttftMs: 5 } });
  const latency = off.find((r) => r.id === "groq-100ms")!;
  assert.equal(latency.verdict, "pendiente", "a stand-in's 5 ms says nothing about Groq");
  const on = claimsLedger({ groq: { mode: "online", tokensPerSecond: 600, ttftMs: 240 } });
  assert.equal(on.find((r) => r.id === "groq-100ms")!.verdict, "incorrecto");
  const cpu = claimsLedger({ machine: { cpuCores: 2, gpus: [] }, cpuMHz: 2500 }, {
    notebook: "00_entorno",
  }).find((r) => r.id === "cpu-nucleos")!;
  assert.match(cpu.kit, /2 núcleos, 2,5 GHz/);
  assert.equal(cpu.origin, "medido aquí");
});

Deno.test("reference runs: machine and date read from a reference run's JSON", () => {
  const run = parseReferenceRun("h200_2026-12-01.json", {
    schema: 1,
    date: "2026-12-01",
    machine: { gpu: "NVIDIA H200", cpu: "x" },
    configurations: [{
      runtime: "kit-webgpu",
      dtype: "fp16",
      ok: true,
      decodeTokensPerSecond: 34.5,
    }],
  })!;
  assert.equal(run.label, "medido por el kit en hardware real (NVIDIA H200, 2026-12-01)");
  assert.equal(run.results[0].decodeTokensPerSecond, 34.5);
  assert.equal(run.results[0].prefillTokensPerSecond, null);
  assert.equal(parseReferenceRun("empty.json", { schema: 1, configurations: [] }), null);
});

Deno.test("ledger: «FP16 velocidad» decided from fp16 and fp32 on the reference GPU", () => {
  const [run] = loadReferenceRuns();
  const rate = (dtype: string, k: "decodeTokensPerSecond" | "prefillTokensPerSecond") =>
    run.results.find((r) =>
      r.runtime === "kit-webgpu" && r.dtype === dtype && (r.graph ?? "fused") === "fused"
    )![k]!;
  const x = rate("fp16", "decodeTokensPerSecond") / rate("fp32", "decodeTokensPerSecond");
  const row = claimsLedger({ reference: [run] }).find((r) => r.id === "fp16-velocidad")!;
  assert.equal(row.origin, run.label);
  const es2 = (v: number) => v.toLocaleString("es-ES", { maximumFractionDigits: 2 });
  assert.ok(row.kit.startsWith(`GPU: fp16 ${es2(x)} × la velocidad de fp32 al generar`), row.kit);
  assert.equal(row.verdict, x >= 1.2 ? "correcto" : "aproximado");
});
