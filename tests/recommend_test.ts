/** Recommendations and rankings that do not rank noise. */
import assert from "node:assert/strict";
import {
  claimsVersusMeasured,
  type ComparisonRow,
  loadReferenceRuns,
  rankWithTies,
  recommendations,
  type Stat,
} from "../lib/measure/mod.ts";

const s = (median: number, min: number, max: number): Stat => ({ median, min, max, n: 9 });
const row = (
  method: number,
  name: string,
  mode: "online" | "offline",
  tps: Stat,
): ComparisonRow => ({
  method,
  name,
  mode,
  model: "m",
  runs: 9,
  ttftMs: s(10, 5, 20),
  tokensPerSecond: tps,
  totalMs: s(100, 50, 200),
  tokensIn: s(10, 10, 10),
  tokensOut: s(48, 48, 48),
  peakRssBytes: null,
  gpuBytes: null,
  service: {},
  results: [],
});

Deno.test("rankWithTies: overlapping ranges are one group; separate ranges are ranked", () => {
  const a = row(1, "A", "online", s(100, 90, 110));
  const b = row(2, "B", "online", s(95, 80, 105)); // overlaps A
  const c = row(3, "C", "online", s(40, 35, 45));
  assert.deepEqual(
    rankWithTies([c, b, a], (r) => r.tokensPerSecond, true).map((g) => g.map((r) => r.name)),
    [["A", "B"], ["C"]],
  );
});

Deno.test("offline recommendations are the session's, say so, and rank nothing measured", () => {
  // Offline the "fastest" is noise: the stand-in Groq was slowest and the pipeline fastest.
  const rows = [
    row(1, "Pipeline", "offline", s(771, 700, 800)),
    row(2, "Optimizado", "offline", s(122, 100, 130)),
    row(3, "Ollama", "offline", s(300, 280, 320)),
    row(4, "Groq", "offline", s(50, 40, 60)),
  ];
  const rec = recommendations(rows, { reference: [] }).join("\n");
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
  assert.match(rec, /todavía no hay ejecución de referencia/);
  assert.match(rec, /publicado \(/);
  assert.doesNotMatch(rec, /771|122/, "no measured offline speed decides anything");
});

Deno.test("online recommendations call overlapping speeds a tie", () => {
  const rows = [
    row(1, "Pipeline", "online", s(30, 25, 35)),
    row(2, "Optimizado", "online", s(33, 28, 40)),
    row(3, "Ollama", "online", s(60, 55, 65)),
    row(4, "Groq", "online", s(600, 500, 700)),
  ];
  const rec = recommendations(rows);
  assert.match(rec[2], /Groq: 600 tok\/s/);
  assert.match(rec[3], /Ollama: lo más rápido/);
  const tied = recommendations([rows[0], rows[1]]);
  assert.match(tied[2], /Optimizado y Pipeline \(empate/);
});

Deno.test("claims beside measurements: the slide's words, and offline stand-ins' speed not measurable", () => {
  const rows = [
    row(1, "Pipeline", "offline", s(80, 70, 90)),
    row(4, "Groq", "offline", s(50, 40, 60)),
  ];
  const t = claimsVersusMeasured(rows);
  assert.deepEqual(t.map((r) => r.speedClaim), ["Media", "Alta", "Media", "Muy Alta"]);
  assert.deepEqual(t.map((r) => r.setupClaim), ["Fácil", "Intermedia", "Fácil", "Fácil"]);
  assert.deepEqual(t.map((r) => r.costClaim), ["Gratis", "Gratis", "Gratis", "Freemium"]);
  assert.match(t[3].speedMeasured, /no medible sin conexión/);
  assert.match(t[0].speedMeasured, /medido aquí\), modelo local del kit/);
});

Deno.test("offline «máximo rendimiento» cites the reference run: method 2 on the GPU vs defaults and Python", () => {
  const file = JSON.parse(
    Deno.readTextFileSync(new URL("../data/reference_runs/h200_2026-12-02.json", import.meta.url)),
  );
  const decode = (id: string) =>
    file.configurations.find((c: { id: string }) => c.id === id).decodeTokensPerSecond
      .toLocaleString("es-ES", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const rec = recommendations([row(1, "Pipeline", "offline", s(10, 9, 11))], {
    reference: loadReferenceRuns(),
  })[2];
  assert.ok(rec.startsWith("**Para máximo rendimiento: Optimizado.**"), rec);
  assert.ok(rec.includes(`${decode("metodo2-webgpu-q4-fused")} tok/s`), rec);
  assert.ok(rec.includes(`frente a ${decode("metodo1-cpu-fp32")} del pipeline`), rec);
  assert.ok(rec.includes(`${decode("python-cuda-fp16")} de Python transformers fp16`), rec);
  // The strongest Python baseline is named too, not only the slowest one.
  assert.ok(
    rec.includes(
      `Python compilado (caché estática + torch.compile) llega a ${
        decode("python-cuda-fp16-compile")
      } tok/s`,
    ),
    rec,
  );
  assert.match(rec, /\(medido por el kit en hardware real \(NVIDIA H200, 2026-12-02\)\)\.$/);
});
