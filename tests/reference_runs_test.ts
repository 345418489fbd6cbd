/**
 * The reference runs' reader against the committed file itself (the oracle: the JSON read
 * here with JSON.parse, field by field), and the three kinds of figure kept apart in the
 * tables and the report.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseHTML } from "linkedom";
import {
  loadReferenceRuns,
  parseReferenceRun,
  referenceStatus,
  type Stat,
} from "../lib/measure/mod.ts";
import { referenceRows, reportHtml } from "../lib/show/mod.ts";

const FILE = new URL("../data/reference_runs/h200_2026-12-02.json", import.meta.url);
const raw = JSON.parse(readFileSync(FILE, "utf8"));
const LABEL = "medido por el kit en hardware real (NVIDIA H200, 2026-12-02)";

Deno.test("reference run: every configuration read back equals the committed file", () => {
  const runs = loadReferenceRuns();
  // One run: the committed h200 file (the raw *_bench_gpu.json beside it is its source).
  assert.deepEqual(runs.map((r) => r.file), ["h200_2026-12-02.json"]);
  const [run] = runs;
  assert.equal(run.machine, raw.machine.gpu);
  assert.equal(run.date, raw.date);
  assert.equal(run.label, LABEL);
  assert.ok(run.what.includes(raw.measured));
  assert.match(run.what, /Prompt de 512 tokens y 128 tokens nuevos/);
  assert.equal(run.results.length, raw.configurations.length);
  for (const [i, c] of raw.configurations.entries()) {
    const r = run.results[i];
    assert.equal(r.id, c.id);
    assert.equal(r.label, c.label);
    assert.equal(r.method, c.method);
    assert.equal(r.runtime, c.runtime);
    assert.equal(r.device, c.device);
    assert.equal(r.dtype, c.dtype);
    assert.equal(r.ok, c.ok);
    for (
      const k of [
        "prefillTokensPerSecond",
        "decodeTokensPerSecond",
        "ttftMs",
        "peakGpuBytes",
        "peakRssBytes",
      ] as const
    ) assert.equal(r[k], c[k], `${c.id} ${k}`);
  }
  // Spot values, typed from the file by hand.
  const fp16 = run.results.find((r) => r.id === "metodo2-webgpu-fp16-fused")!;
  assert.equal(fp16.decodeTokensPerSecond, 70.77787815059281);
  const py = run.results.find((r) => r.id === "python-cuda-fp16")!;
  assert.equal(py.method, "python");
  assert.equal(py.prefillTokensPerSecond, 14977.618844702993);
});

Deno.test("reference run: a file of another kind is refused, an empty one is none", () => {
  assert.throws(
    () => parseReferenceRun("x.json", { date: "2026-12-01", results: [] } as never),
    /no es una ejecución de referencia/,
  );
  assert.equal(parseReferenceRun("y.json", { schema: 1, configurations: [] }), null);
});

Deno.test("reference rows: Spanish labels, the file's figures, always «medido por el kit…»", () => {
  const runs = loadReferenceRuns();
  const rows = referenceRows(runs);
  const ok = raw.configurations.filter((c: { ok: boolean }) => c.ok);
  assert.equal(rows.length, ok.length, "failed configurations are left out");
  const es = (x: number, d: number) =>
    x.toLocaleString("es-ES", { minimumFractionDigits: d, maximumFractionDigits: d });
  for (const [i, c] of ok.entries()) {
    assert.equal(rows[i]["Configuración"], c.label);
    assert.equal(rows[i]["Generación (tok/s)"], es(c.decodeTokensPerSecond, 1));
    assert.equal(rows[i]["Procesado del prompt (tok/s)"], es(c.prefillTokensPerSecond, 0));
    assert.equal(rows[i]["Origen"], LABEL);
  }
  const text = JSON.stringify(rows);
  assert.doesNotMatch(text, /medido aquí|publicado \(/);
  assert.doesNotMatch(text, /kit-webgpu|python-cuda|fused|classic/, "no runtime ids in the table");
  assert.match(
    referenceStatus(runs),
    new RegExp(`h200_2026-12-02\\.json, ${LABEL.replace(/[()]/g, "\\$&")}`),
  );
});

Deno.test("report: measured here, reference runs and published figures in separate sections", () => {
  const s = (x: number): Stat => ({ median: x, min: x, max: x, n: 1 });
  const html = reportHtml({
    title: "Prueba",
    createdAt: "2026-12-02T00:00:00Z",
    machine: {
      deno: "2.9.6",
      v8: "",
      typescript: "",
      os: "Linux",
      cpuModel: "cpu",
      cpuCores: 2,
      memoryTotalBytes: 1e9,
      memoryAvailableBytes: 1e9,
      gpus: [],
      diskFreeBytes: 1e9,
    } as never,
    rows: [{
      method: 2,
      name: "Optimizado",
      mode: "offline",
      model: "kit-es",
      runs: 1,
      ttftMs: s(10),
      tokensPerSecond: s(100),
      totalMs: s(500),
      tokensOut: s(48),
      service: {},
      results: [],
    } as never],
  });
  const { document } = parseHTML(html) as unknown as {
    document: { querySelectorAll(s: string): ArrayLike<{ textContent: string }> };
  };
  const sections = new Map<string, string>();
  let current = "";
  for (const part of html.split(/<h2>/).slice(1)) {
    current = part.slice(0, part.indexOf("</h2>"));
    sections.set(current, part);
  }
  const here = sections.get("Medido aquí")!;
  const ref = sections.get("Medido por el kit en hardware real")!;
  const pub = sections.get("Publicado")!;
  assert.ok(here && ref && pub);
  assert.doesNotMatch(here, /medido por el kit en hardware real|publicado \(/);
  assert.ok(ref.includes(LABEL));
  assert.doesNotMatch(ref, /medido aquí|publicado \(/);
  assert.match(pub, /publicado \(/);
  assert.doesNotMatch(pub, /medido aquí|medido por el kit/);
  assert.ok(document.querySelectorAll("table").length >= 5);
});
