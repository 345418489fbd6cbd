/** lib/measure/compare and lib/show/report on offline backends. */
import assert from "node:assert/strict";
import { offlineTest } from "./_env.ts";
import { readFileSync } from "node:fs";
import { parseHTML } from "linkedom";
import { openAllBackends } from "../lib/methods/mod.ts";
import { loadPrompts, runComparison, stat } from "../lib/measure/compare.ts";
import { machineInfo } from "../lib/env/machine.ts";
import { serviceRows, writeReport } from "../lib/show/report.ts";
import { llamaCppUnavailable } from "../lib/methods/ollama/mod.ts";
import { tempDir } from "./_notebooks.ts";

offlineTest("stat: median of odd and even samples, spread, nulls ignored", () => {
  assert.deepEqual(stat([5, null, 1, 3]), { median: 3, min: 1, max: 5, n: 3 });
  assert.deepEqual(stat([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, n: 4 });
  assert.equal(stat([null, undefined, NaN]), null);
});

offlineTest(
  "comparison on offline backends: one consistent row per method, and a report",
  async () => {
    const opened = await openAllBackends();
    const backends = opened.backends;
    assert.deepEqual(opened.failures, []);
    assert.deepEqual(backends.map((b) => b.method), [1, 2, 3, 4]);
    const prompts = loadPrompts();
    assert.deepEqual(prompts.map((p) => p.size), ["short", "medium", "long"]);
    const rows = await runComparison(backends, { repetitions: 2, maxTokens: 12 });
    assert.equal(rows.length, backends.length);
    for (const row of rows) {
      assert.equal(row.error, undefined);
      assert.equal(row.runs, prompts.length * 2);
      assert.equal(row.mode, "offline");
      for (const { result: r } of row.results) {
        // tokens ÷ decode time agrees with tok/s; TTFT ≤ total.
        const expected = ((r.tokensOut - 1) * 1000) / r.timings.decodeMs;
        assert.ok(Math.abs(r.timings.tokensPerSecond! - expected) < 1e-6 * expected);
        assert.ok(r.timings.ttftMs! <= r.timings.totalMs);
        assert.equal(r.tokensOut, 12);
      }
      assert.ok(row.ttftMs!.min <= row.ttftMs!.median && row.ttftMs!.median <= row.ttftMs!.max);
      assert.ok(row.ttftMs!.max <= row.totalMs!.max);
      // Longer prompts have more input tokens.
      const inputs = prompts.map((p) =>
        row.results.find((x) => x.prompt === p.id)!.result.tokensIn
      );
      assert.ok(inputs[0] < inputs[1] && inputs[1] < inputs[2], inputs.join(","));
    }
    const dir = tempDir("report-");
    const paths = writeReport(
      { title: "Prueba", createdAt: new Date().toISOString(), machine: await machineInfo(), rows },
      dir,
    );
    const { document } = parseHTML(readFileSync(paths.html, "utf8")) as unknown as {
      document: {
        querySelectorAll(s: string): { length: number };
        querySelector(s: string): { textContent: string } | null;
      };
    };
    assert.equal(document.querySelectorAll("figure > svg").length, 3, "one SVG per chart");
    // Measured here (two tables), the session beside it, published figures, the machine; the
    // reference runs as a table when data/reference_runs/ has one, else one sentence saying so.
    const tables = document.querySelectorAll("table").length;
    assert.ok(tables === 5 || tables === 6, String(tables));
    const html = readFileSync(paths.html, "utf8");
    // Which engine answered, per method, as each stand-in is built: transformers.js's
    // onnxruntime for 1–2 (fp32 default, the optimized q4) and for the Groq stand-in;
    // llama.cpp behind the Ollama stand-in where node-llama-cpp loads.
    assert.ok(html.includes("<th>Motor</th>"));
    const engines = serviceRows(rows).map((r) => String(r["Motor"]));
    assert.equal(engines[0], "onnxruntime (transformers.js), fp32, cpu");
    assert.match(engines[1], /^onnxruntime \(transformers\.js\), q\d, cpu$/);
    assert.match(
      engines[2],
      (await llamaCppUnavailable()) === null ? /^llama\.cpp$/ : /onnxruntime/,
    );
    assert.equal(engines[3], "onnxruntime (transformers.js), sustituto del kit");
    for (
      const h of [
        "Medido aquí",
        "La sesión frente a lo medido",
        "Recomendaciones",
        "Medido por el kit en hardware real",
        "Publicado",
      ]
    ) assert.ok(html.includes(`<h2>${h}</h2>`), h);
    assert.match(html, /Para producción: Groq/);
    assert.match(html, /publicado \(jupyterlab\/jupyter-ai/);
    assert.match(
      document.querySelector(".offline")!.textContent,
      /Pipeline, Optimizado, Ollama, Groq/,
    );
    const json = JSON.parse(readFileSync(paths.json, "utf8"));
    assert.equal(json.rows.length, 4);
    await opened.close();
  },
);
