/**
 * `deno task grade`: the solution notebooks score 100 %, the untouched student notebooks 0
 * with "sin implementar" feedback; the CLI prints a summary and writes JSON and CSV (one row
 * per student per exercise).
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib/core/paths.ts";
import { listSources, STUDENT_DIR, studentFileName } from "../lib/grading/build.ts";
import { findSubmissions, gradeSubmissions, studentIdOf } from "../lib/grading/grade.ts";
import { CSV_HEADER, toCsv } from "../lib/grading/report.ts";
import { tempDir } from "./_notebooks.ts";

const sources = listSources();
const students = sources.map((s) => join(STUDENT_DIR, studentFileName(s)));

Deno.test("solutions score 100 %, untouched student notebooks 0 with «sin implementar»", async () => {
  const report = await gradeSubmissions([...sources, ...students], { concurrency: 2 });
  assert.equal(report.submissions.length, sources.length + students.length);
  for (const s of report.submissions.slice(0, sources.length)) {
    assert.equal(s.error, undefined);
    assert.ok(s.maxPoints > 0);
    assert.equal(s.points, s.maxPoints, JSON.stringify(s.exercises.flatMap((e) => e.tests)));
    assert.ok(s.exercises.length >= 5);
  }
  for (const s of report.submissions.slice(sources.length)) {
    assert.equal(s.points, 0);
    assert.equal(s.student, "alumno"); // the file kept its name: the folder names the student
    for (const e of s.exercises) {
      assert.equal(e.run, "done");
      for (const t of e.tests) {
        assert.match(t.feedback!, /^sin implementar: escribe tu solución en \w+/);
      }
    }
  }
  const csv = toCsv(report).trimEnd().split("\n");
  assert.equal(csv[0], CSV_HEADER.join(","));
  const exercises = report.submissions.reduce((n, s) => n + s.exercises.length, 0);
  assert.equal(csv.length, 1 + exercises, "one row per student per exercise");
});

Deno.test("not an exercise notebook: an error, no points, the others still graded", async () => {
  const dir = tempDir("grading-misc-");
  const other = join(dir, "otro.ipynb");
  copyFileSync(join(ROOT, "notebooks", "00_entorno.ipynb"), other);
  const broken = join(dir, "roto.ipynb");
  writeFileSync(broken, "{ no es json");
  const report = await gradeSubmissions([other, broken], { concurrency: 2 });
  assert.match(report.submissions[0].error!, /no es un cuaderno de ejercicios del kit/);
  assert.match(report.submissions[1].error!, /no es un cuaderno válido/);
  assert.ok(report.submissions.every((s) => s.points === 0 && s.exercises.length === 0));
});

Deno.test("student ids: from the file name, or the folder when the file kept its name", () => {
  assert.equal(studentIdOf("/x/entregas/ana_garcia.ipynb", "optimizacion"), "ana_garcia");
  assert.equal(studentIdOf("/x/entregas/luis/optimizacion.ipynb", "optimizacion"), "luis");
});

Deno.test("deno task grade <folder>: summary, grades.json and grades.csv", async () => {
  const dir = tempDir("grading-cli-");
  const entregas = join(dir, "entregas");
  mkdirSync(join(entregas, "luis"), { recursive: true });
  copyFileSync(sources[0], join(entregas, "ana.ipynb"));
  copyFileSync(students[0], join(entregas, "luis", studentFileName(sources[0])));
  assert.equal(findSubmissions(entregas).length, 2);
  const out = join(dir, "informes");
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts", "grade.ts"), entregas, "--out", out],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.match(text, /^ana\s+10\/10\s+10\/10\s+10\/10\s+10\/10\s+10\/10\s+50\/50\s+100 %$/m);
  assert.match(text, /^luis\s+0\/10 .* 0\/50\s+0 %$/m);
  assert.match(text, /✓ ana: todo correcto \(50\/50\)/);
  assert.match(text, /✗ \[memoria\] .*: sin implementar: escribe tu solución en countParams/);
  const report = JSON.parse(readFileSync(join(out, "grades.json"), "utf8"));
  assert.deepEqual(report.submissions.map((s: { student: string }) => s.student), ["ana", "luis"]);
  const csv = readFileSync(join(out, "grades.csv"), "utf8").trimEnd().split("\n");
  assert.equal(csv.length, 1 + 2 * 5);
  assert.match(csv[1], /^ana,.*,optimizacion,memoria,10,10,$/);
  assert.match(
    csv.at(-1)!,
    /^luis,.*,optimizacion,errores,0,10,"?responde a la primera: sin implementar/,
  );

  const usage = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts", "grade.ts")],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(usage.code, 2);
  assert.match(new TextDecoder().decode(usage.stderr), /Uso: deno task grade/);
});
