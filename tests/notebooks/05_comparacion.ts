/** What notebooks/05_comparacion.ipynb must show (offline, no keys). */
import assert from "node:assert/strict";
import type { Notebook } from "../../scripts/nb.ts";
import { taggedCell, taggedMime, taggedText } from "../_notebooks.ts";
import { pidsMatching } from "../_processes.ts";

function rows(md: string): string[][] {
  return md.split("\n").slice(2).map((l) => l.slice(2, -2).split(" | "));
}

/** "12.3 [4.5–67.8]" → [median, min, max]. */
function stat(cell: string): number[] {
  const m = /^([\d.]+) \[([\d.]+)–([\d.]+)\]$/.exec(cell);
  assert.ok(m, cell);
  return m.slice(1).map(Number);
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
    "short",
    "medium",
    "long",
  ]);

  const table = rows(taggedMime(nb, "table", "text/markdown"));
  assert.equal(table.length, 4, "one row per method");
  for (const r of table) {
    assert.equal(r[4], "9", "3 prompts × 3 repetitions");
    assert.match(r[2], /^offline \((modelo|sustituto) local del kit\)$/);
    const [ttft, ttftMin, ttftMax] = stat(r[5]);
    const [total, , totalMax] = stat(r[7]);
    assert.ok(ttftMin <= ttft && ttft <= ttftMax);
    assert.ok(ttft <= total && ttftMax <= totalMax, r.join(" | "));
    // kit-es (methods 1, 2, 4) may end an answer with </s> before 48 tokens; tiny never does.
    const [median, low, high] = stat(r[8]);
    assert.ok(1 <= low && low <= median && median <= high && high <= 48, `tokens out: ${r[8]}`);
    if (r[3] === "tiny") assert.deepEqual([median, low, high], [48, 48, 48], "tiny: 48 each run");
    assert.ok(stat(r[6])[0] > 0, "a decode speed was measured");
  }
  // The services' own timings sit beside the client's.
  assert.match(table[2][10], /eval_duration \d/);
  assert.match(table[3][10], /completionMs \d/);

  const charts = (taggedCell(nb, "charts").outputs ?? []).filter((o) => o.data?.["image/svg+xml"]);
  assert.equal(charts.length, 3, "tok/s, TTFT, memory");
  for (const c of charts) assert.match(String(c.data!["image/svg+xml"]), /^<svg xmlns=/);

  const claims = rows(taggedMime(nb, "claims", "text/markdown"));
  assert.deepEqual(claims.map((r) => r[7]), ["2", "3", "4", "3"], "set-up steps per method");
  assert.match(claims[3][9], /^\d+\.\d{6} USD por \d+ tokens \(a precio de Groq real\)$/);

  const rec = taggedText(nb, "recommendations");
  for (const h of ["Para aprender", "Máximo rendimiento", "Desarrollo local", "Producción"]) {
    assert.match(rec, new RegExp(`\\*\\*${h}:\\*\\*`));
  }
  assert.match(rec, /las filas offline miden el modelo local/);

  // close() stopped the stand-in servers the notebook started.
  assert.deepEqual(await pidsMatching("groq_process\\.ts"), [], "no Groq stand-in left running");
}
