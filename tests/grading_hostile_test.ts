/**
 * The grader against an attacker (issue 18): hostile submissions in
 * tests/testdata/grading_hostile/ score 0 on their exercise with the right explanation while
 * the other exercises keep their points; nothing of the tests, the harness or the environment
 * reaches the reports; results are matched by name; symbolic links, broken notebooks and
 * formula-like file names cost only their own file.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib/core/paths.ts";
import { listSources, STUDENT_DIR, studentFileName } from "../lib/grading/build.ts";
import {
  findSubmissions,
  type GradeReport,
  gradeSubmissions,
  outcomesOf,
} from "../lib/grading/grade.ts";
import { DEFAULT_LIMITS, type SandboxRun } from "../lib/grading/sandbox.ts";
import { tempDir } from "./_notebooks.ts";
import { badSubmission } from "./_grading.ts";

const FIXTURES = join(ROOT, "tests", "testdata", "grading_hostile");
/** Generous: no fixture loops forever, and a loaded machine must not turn an OOM into a timeout. */
const LIMITS = { timeLimitMs: 60_000, testTimeoutMs: 20_000 };
const SECRET = "gsk_" + "HOSTILEsecretNOTforSTUDENTS0123456789".repeat(2);

/** What each hostile submission must get on its exercise: every test fails with `feedback`. */
const EXPECTED: Record<string, { exercise: string; feedback: RegExp; first?: RegExp }> = {
  registro_simbolo: { exercise: "memoria", feedback: /^sin implementar: escribe tu solución en/ },
  roba_registro: { exercise: "memoria", feedback: /usó el registro de pruebas del corrector/ },
  sombra_registro: { exercise: "metodo", feedback: /^sin implementar: escribe tu solución en/ },
  tojson: { exercise: "tiempos", feedback: /intentó modificar un objeto de JavaScript o de Deno/ },
  lee_pruebas: { exercise: "memoria", feedback: /tu código intentó leer archivos/ },
  traga_pruebas: {
    exercise: "memoria",
    feedback: /^tu celda tiene un error de sintaxis \(línea 1[0-9] de tu celda\): .*template/,
  },
  importa_eval: { exercise: "tiempos", feedback: /SES_IMPORT_REJECTED|Requires read access/ },
  memoria_fuera_heap: {
    // The allocations fail (the OS limit), the sandbox sees the process die of it, or, on a
    // loaded machine, the retries V8 makes before failing use up the time first: 0 points
    // each way, with the cause said, and the peak is asserted below.
    exercise: "ndjson",
    first:
      /Array buffer allocation failed .* WebAssembly\.Memory\.grow\(\): Unable to grow|agotó la memoria permitida|se agotó el tiempo/,
    feedback: /memoria|se agotó el tiempo/,
  },
  intrinsecos: { exercise: "metodo", feedback: /tu código lanzó un error: Error: 0 cambios/ },
  worker: { exercise: "errores", feedback: /tu código intentó crear un Worker/ },
  fake_backend: { exercise: "errores", feedback: /backend congelado/ },
  globales: {
    exercise: "memoria",
    feedback: /^tu código lanzó un error: Error: sin congelar: \[\]/,
  },
  pila: { exercise: "tiempos", feedback: /^tu código lanzó un error que no se puede mostrar/ },
};

Deno.test("every hostile submission in testdata has an expectation", () => {
  const names = readdirSync(FIXTURES).filter((f) => f.endsWith(".txt"))
    .map((f) => f.replace(/\.txt$/, ""));
  assert.deepEqual(names.sort(), Object.keys(EXPECTED).sort());
});

Deno.test("hostile submissions: 0 on their exercise, nothing leaks, memory bounded", async () => {
  const dir = tempDir("grading-hostile-");
  const previous = Deno.env.get("GROQ_API_KEY");
  Deno.env.set("GROQ_API_KEY", SECRET);
  let report: GradeReport;
  try {
    const paths = Object.keys(EXPECTED).map((name) => badSubmission(FIXTURES, dir, name));
    report = await gradeSubmissions(paths, { limits: LIMITS, concurrency: 2 });
  } finally {
    if (previous === undefined) Deno.env.delete("GROQ_API_KEY");
    else Deno.env.set("GROQ_API_KEY", previous);
  }
  const everything = JSON.stringify(report);
  const source = readFileSync(listSources()[0], "utf8");
  for (
    const leak of [
      SECRET,
      "@@kit-grade-", // the harness's nonce marker
      "__kit_take_", // the capability's name
      "LEIDO", // a module outside the data was loaded
      "TINYLLAMA_1_1B, 2048), 46_137_344", // hidden tests' source
      "SES reads its options", // the harness's source
      '"isFile"', // a directory listing
    ]
  ) {
    assert.ok(!everything.includes(leak), `the report contains ${leak}`);
  }
  assert.ok(source.includes("TINYLLAMA_1_1B, 2048), 46_137_344"), "hidden-test probe is stale");

  for (const [name, want] of Object.entries(EXPECTED)) {
    const sub = report.submissions.find((s) => s.student === name);
    assert.ok(sub, `no result for ${name}`);
    assert.equal(sub.error, undefined);
    for (const ex of sub.exercises) {
      if (ex.id !== want.exercise) {
        assert.equal(ex.points, ex.maxPoints, `${name}: ${ex.id}: ${JSON.stringify(ex.tests)}`);
        continue;
      }
      assert.equal(ex.points, 0, `${name}: ${ex.id} should score 0: ${JSON.stringify(ex.tests)}`);
      ex.tests.forEach((t, i) => {
        const re = i === 0 && want.first ? want.first : want.feedback;
        assert.match(t.feedback ?? "", re, `${name}, test ${i}: ${t.feedback}`);
        assert.doesNotMatch(t.feedback ?? "", /vuelve a ejecutar la celda/);
      });
      if (name === "memoria_fuera_heap") {
        // 64 × 256 MiB of ArrayBuffers, then Wasm memory: bounded by the OS limit
        // (memory allowance + the runtime's baseline), far below what it asked for.
        console.log(`memoria_fuera_heap: pico de memoria residente ${ex.maxRssMb} MB`);
        assert.ok(ex.maxRssMb !== null && ex.maxRssMb !== undefined, "no peak measured");
        assert.ok(ex.maxRssMb < DEFAULT_LIMITS.memoryMb + 512, `peak ${ex.maxRssMb} MB`);
      }
    }
  }
});

Deno.test("issue 18's repros: prefixes before every solution of the student notebook score 0", async () => {
  const dir = tempDir("grading-repro-");
  const prefixes: Record<string, string> = {
    registro: 'const R=(globalThis as any)[Symbol.for("kit.grading.register")]; ' +
      'if(R) for(let i=0;i<50;i++) R("x"+i,1,()=>{});\n',
    tojson: 'try { Object.defineProperty(Object.prototype, "toJSON", { value(this: any) { ' +
      'return this.e === "tampered" ? { e: "hello" } : this.e === "result" ? ' +
      '{ e: "result", i: this.i, name: this.name, ok: true } : { ...this }; } }); } catch {}\n',
  };
  const student = join(STUDENT_DIR, studentFileName(listSources()[0]));
  const paths = Object.entries(prefixes).map(([name, prefix]) => {
    const nb = JSON.parse(readFileSync(student, "utf8"));
    let n = 0;
    for (const cell of nb.cells) {
      if (cell.cell_type === "code" && /-solucion$/.test(cell.id ?? "")) {
        cell.source = [prefix, ...cell.source];
        n++;
      }
    }
    assert.equal(n, 5);
    const path = join(dir, `${name}.ipynb`);
    writeFileSync(path, JSON.stringify(nb));
    return path;
  });
  const report = await gradeSubmissions(paths, { limits: LIMITS, concurrency: 2 });
  for (const s of report.submissions) {
    assert.equal(s.maxPoints, 50);
    assert.equal(s.points, 0, `${s.student}: ${s.points}/50`);
  }
});

function fakeRun(events: SandboxRun["events"]): SandboxRun {
  return { events, end: "done", code: 0, stderr: "", ms: 1, maxRssMb: null, dataLimitMb: null };
}

Deno.test("results are matched to the expected tests by name, not by position", () => {
  const expected = [{ name: "a", points: 2 }, { name: "b", points: 1 }, { name: "a", points: 1 }];
  const run = fakeRun([
    { e: "hello" },
    { e: "loaded", count: 4 },
    { e: "test", i: 0, name: "x0", points: 1 },
    { e: "result", i: 0, name: "x0", ok: true }, // an extra name: ignored
    { e: "test", i: 1, name: "b", points: 1 },
    { e: "result", i: 1, name: "b", ok: true },
    { e: "test", i: 2, name: "a", points: 2 },
    { e: "result", i: 2, name: "a", ok: false, feedback: "mal" },
    { e: "result", i: 2, name: "a", ok: true }, // a second result for the same test: ignored
    { e: "test", i: 3, name: "a", points: 1 },
    { e: "result", i: 3, name: "b", ok: true }, // a result whose name is not its test's
    { e: "done" },
  ]);
  const out = outcomesOf(expected, run, DEFAULT_LIMITS, 1, 1);
  assert.deepEqual(out.map((t) => [t.name, t.points]), [["a", 0], ["b", 1], ["a", 0]]);
  assert.equal(out[0].feedback, "mal");
  assert.match(out[2].feedback!, /no llegó a ejecutarse aunque la corrección terminó/);
});

Deno.test("symbolic links are reported, never followed; their targets never reach a report", async () => {
  const dir = tempDir("grading-links-");
  const secretFile = join(dir, ".env");
  writeFileSync(secretFile, `GROQ_API_KEY=${SECRET}\n`);
  symlinkSync(listSources()[0], join(dir, "eve.ipynb"));
  symlinkSync(secretFile, join(dir, "env.ipynb"));
  symlinkSync("/etc/passwd", join(dir, "passwd.ipynb"));
  const files = findSubmissions(dir);
  assert.equal(files.length, 3);
  const report = await gradeSubmissions(files, { concurrency: 2 });
  for (const s of report.submissions) {
    assert.match(s.error ?? "", /es un enlace simbólico: no se sigue/, s.file);
    assert.equal(s.points, 0);
    assert.equal(s.exercises.length, 0);
  }
  const text = JSON.stringify(report);
  assert.ok(!text.includes("HOSTILEsecret") && !text.includes("root:"), text);
});

Deno.test("a broken file costs only that file: null cells, non-UTF-8, too big", async () => {
  const dir = tempDir("grading-broken-");
  const good = join(dir, "buena.ipynb");
  writeFileSync(good, readFileSync(listSources()[0]));
  const nullCells = join(dir, "nulas.ipynb");
  const nb = JSON.parse(readFileSync(listSources()[0], "utf8"));
  nb.cells.splice(3, 0, null);
  writeFileSync(nullCells, JSON.stringify(nb));
  const latin1 = join(dir, "latin1.ipynb");
  writeFileSync(latin1, new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x7d])); // {"é"} in Latin-1
  const huge = join(dir, "enorme.ipynb");
  writeFileSync(huge, `{"cells": [], "x": "${"a".repeat(33 * 1024 * 1024)}"}`);
  const report = await gradeSubmissions([nullCells, latin1, huge, good], { concurrency: 2 });
  const by = (f: string) => report.submissions.find((s) => s.file === f)!;
  assert.match(by(nullCells).error!, /nulas\.ipynb no es un cuaderno válido: la celda 4 no es/);
  assert.match(by(latin1).error!, /no está en UTF-8/);
  assert.match(by(huge).error!, /ocupa 33 MB, más de los 32 MB/);
  assert.equal(by(good).points, by(good).maxPoints);
  assert.ok(by(good).maxPoints > 0);
});
