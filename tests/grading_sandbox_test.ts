/**
 * The autograder against bad submissions (tests/testdata/grading/): each one gets the right
 * score and feedback, the other exercises of the same notebook keep their points, and nothing
 * escapes the sandbox: the canary file is intact, no connection reached the local listener,
 * the environment's secret appears nowhere, and the grader kept running.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib/core/paths.ts";
import { listSources } from "../lib/grading/build.ts";
import { type GradeReport, gradeSubmissions, outcomesOf } from "../lib/grading/grade.ts";
import { DEFAULT_LIMITS, type SandboxRun } from "../lib/grading/sandbox.ts";
import { tempDir } from "./_notebooks.ts";
import { badSubmission as badFrom } from "./_grading.ts";

const TESTDATA = join(ROOT, "tests", "testdata", "grading");
const SECRET = "gsk_" + "SANDBOXsecretNOTforSTUDENTS0123456789".repeat(2);
/** Generous: a loaded machine must not turn the out-of-memory case into a timeout. */
const LIMITS = { timeLimitMs: 45_000, testTimeoutMs: 10_000 };

/** What each bad submission must score on its exercise, and the feedback every test shows. */
const EXPECTED: Record<string, { exercise: string; feedback: RegExp; first?: RegExp }> = {
  bucle_infinito: {
    exercise: "tiempos",
    first: /se agotó el tiempo \(45 s\) durante esta prueba/,
    feedback: /no se llegó a ejecutar: la corrección se detuvo antes \(se agotó el tiempo\)/,
  },
  error_sintaxis: {
    exercise: "memoria",
    feedback:
      /^tu celda tiene un error de sintaxis \(línea 2 de tu celda\): Expression expected\.$/,
  },
  lanza: {
    exercise: "metodo",
    feedback:
      /tu código lanzó un error: RangeError: no sé qué elegir para \d+B \(línea 2 de tu celda\)/,
  },
  red: { exercise: "errores", feedback: /tu código intentó usar la red/ },
  escribe_borra: { exercise: "ndjson", feedback: /tu código intentó escribir o borrar archivos/ },
  deno_exit: { exercise: "metodo", feedback: /tu código llamó a Deno\.exit\(\)/ },
  imprime_megas: {
    exercise: "memoria",
    first: /tu código imprimió demasiado \(más de 256 KB\)/,
    feedback: /no se llegó a ejecutar: .*imprimió demasiado/,
  },
  secretos: { exercise: "tiempos", feedback: /tu código intentó leer variables de entorno/ },
  importa: { exercise: "memoria", feedback: /no puede usar «import»/ },
  falsifica: {
    exercise: "tiempos",
    feedback: /tu código intentó modificar un objeto de JavaScript o de Deno \(Math, JSON/,
  },
  agota_memoria: {
    exercise: "ndjson",
    first: /tu código agotó la memoria permitida \(256 MB\) durante esta prueba/,
    feedback: /no se llegó a ejecutar: .*se agotó la memoria/,
  },
};

/** The source notebook with one exercise's solution cell replaced by a bad submission. */
const badSubmission = (dir: string, name: string, vars: Record<string, string>) =>
  badFrom(TESTDATA, dir, name, vars);

Deno.test("every bad submission in testdata has an expectation", () => {
  const names = readdirSync(TESTDATA).filter((f) => f.endsWith(".txt")).map((f) =>
    f.replace(/\.txt$/, "")
  );
  assert.deepEqual(names.sort(), Object.keys(EXPECTED).sort());
});

Deno.test("bad submissions: right score and feedback, nothing escapes the sandbox", async () => {
  const dir = tempDir("grading-bad-");
  const canary = join(dir, "canary.txt");
  writeFileSync(canary, "intacto");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })();
  const previous = Deno.env.get("GROQ_API_KEY");
  Deno.env.set("GROQ_API_KEY", SECRET);
  let report: GradeReport;
  try {
    const vars = { __CANARY__: canary, __PORT__: String(listener.addr.port) };
    const paths = Object.keys(EXPECTED).map((name) => badSubmission(dir, name, vars));
    paths.push(listSources()[0]); // graded after the others: the grader is still fine
    report = await gradeSubmissions(paths, { limits: LIMITS, concurrency: 2 });
  } finally {
    if (previous === undefined) Deno.env.delete("GROQ_API_KEY");
    else Deno.env.set("GROQ_API_KEY", previous);
    listener.close();
    await accepting.catch(() => {});
  }

  // Nothing escaped.
  assert.ok(existsSync(canary), "the canary file was deleted");
  assert.equal(readFileSync(canary, "utf8"), "intacto", "the canary file was overwritten");
  assert.equal(connections, 0, "a connection reached the local listener");
  const everything = JSON.stringify(report);
  assert.ok(!everything.includes(SECRET), "the environment's secret reached the report");
  assert.ok(!everything.includes("SANDBOXsecret"), "part of the secret reached the report");

  // The solutions, graded last, still score 100 %.
  const solutions = report.submissions.at(-1)!;
  assert.equal(solutions.points, solutions.maxPoints);

  for (const [name, want] of Object.entries(EXPECTED)) {
    const sub = report.submissions.find((s) => s.student === name);
    assert.ok(sub, `no result for ${name}`);
    assert.equal(sub.error, undefined);
    for (const ex of sub.exercises) {
      if (ex.id !== want.exercise) {
        assert.equal(
          ex.points,
          ex.maxPoints,
          `${name}: ${ex.id} should keep its points: ${JSON.stringify(ex.tests)}`,
        );
        continue;
      }
      assert.equal(ex.points, 0, `${name}: ${ex.id} should score 0`);
      ex.tests.forEach((t, i) => {
        assert.equal(t.passed, false);
        const re = i === 0 && want.first ? want.first : want.feedback;
        assert.match(t.feedback ?? "", re, `${name}, test ${i}: ${t.feedback}`);
      });
    }
    assert.equal(sub.points, sub.maxPoints - 10, `${name}: only its bad exercise loses points`);
  }
});

function fakeRun(events: SandboxRun["events"], end: SandboxRun["end"]): SandboxRun {
  return { events, end, code: 0, stderr: "", ms: 1, maxRssMb: null, dataLimitMb: null };
}

Deno.test("a process that ends without reporting loses the rest", () => {
  const expected = [{ name: "a", points: 2 }, { name: "b", points: 1 }, { name: "c", points: 1 }];
  const run = fakeRun([
    { e: "hello" },
    { e: "loaded", count: 3 },
    { e: "test", i: 0, name: "a", points: 2 },
    { e: "result", i: 0, name: "a", ok: true },
    { e: "test", i: 1, name: "b", points: 1 },
  ], "exited");
  const out = outcomesOf(expected, run, DEFAULT_LIMITS, 10, 5);
  assert.deepEqual(out.map((t) => t.points), [2, 0, 0]);
  assert.match(
    out[1].feedback!,
    /el proceso terminó antes de tiempo \(código de salida 0\) durante/,
  );
  assert.match(out[2].feedback!, /no se llegó a ejecutar/);
  const dead = outcomesOf(expected, fakeRun([{ e: "hello" }], "exited"), DEFAULT_LIMITS, 10, 5);
  assert.ok(dead.every((t) => /mientras se ejecutaba tu celda/.test(t.feedback!)));
  const oom = outcomesOf(
    expected,
    fakeRun([{ e: "hello" }], "out-of-memory"),
    DEFAULT_LIMITS,
    1,
    1,
  );
  assert.match(oom[0].feedback!, /agotó la memoria permitida \(256 MB\)/);
});
