/**
 * `deno task exercises`: the student notebooks are built deterministically from the sources,
 * keep no solution and no hidden test, and the committed ones are up to date.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildStudentNotebooks,
  listSources,
  stripSolutions,
  STUDENT_DIR,
  studentFileName,
} from "../lib/grading/build.ts";
import { readNb, roleOf, setInfoOf, sourceOf, tagsOf } from "../lib/notebook/nbformat.ts";
import { tempDir } from "./_notebooks.ts";

Deno.test("stripSolutions: each region becomes a stub naming its function", () => {
  const code = [
    "function area(r: number): number {",
    "  // BEGIN SOLUTION",
    "  return Math.PI * r * r;",
    "  // END SOLUTION",
    "}",
    "async function* gen() {",
    "    // BEGIN SOLUTION",
    "    yield 1;",
    "    // END SOLUTION",
    "}",
  ].join("\n");
  assert.equal(
    stripSolutions(code),
    [
      "function area(r: number): number {",
      "  // TU SOLUCIÓN AQUÍ: borra el throw y escribe tu código.",
      '  throw new NotImplementedError("area");',
      "}",
      "async function* gen() {",
      "    // TU SOLUCIÓN AQUÍ: borra el throw y escribe tu código.",
      '    throw new NotImplementedError("gen");',
      "}",
    ].join("\n"),
  );
  assert.throws(() => stripSolutions("// BEGIN SOLUTION\nx"), /sin END SOLUTION/);
  assert.throws(() => stripSolutions("x\n// END SOLUTION"), /END SOLUTION sin BEGIN/);
  assert.throws(
    () => stripSolutions("// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION"),
    /anidado/,
  );
});

Deno.test("the committed student notebooks are what `deno task exercises` builds", () => {
  const first = tempDir("exercises-a-");
  const second = tempDir("exercises-b-");
  const built = buildStudentNotebooks({ outDir: first });
  buildStudentNotebooks({ outDir: second });
  assert.ok(built.length >= 1);
  const committed = readdirSync(STUDENT_DIR).filter((f) => f.endsWith(".ipynb")).sort();
  assert.deepEqual(committed, listSources().map(studentFileName).sort());
  for (const name of committed) {
    const a = readFileSync(join(first, name));
    assert.deepEqual(a, readFileSync(join(second, name)), `${name}: two builds differ`);
    assert.ok(
      a.equals(readFileSync(join(STUDENT_DIR, name))),
      `notebooks/ejercicios/alumno/${name} is out of date: run \`deno task exercises\``,
    );
  }
});

Deno.test("sources: five exercises or more, each with a solution region, tests and hidden tests", () => {
  for (const path of listSources()) {
    const nb = readNb(path);
    const info = setInfoOf(nb);
    assert.ok(info, `${path}: no kit_exercises metadata`);
    assert.ok(info.exercises.length >= 5);
    const ids = nb.cells.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, "cell ids are unique");
    for (const { id } of info.exercises) {
      const of = (role: string) =>
        nb.cells.filter((c) => roleOf(c) === role && tagsOf(c).includes(`exercise:${id}`));
      assert.ok(of("solution").some((c) => sourceOf(c).includes("// BEGIN SOLUTION")), id);
      assert.ok(of("tests").length >= 1, `${id}: visible tests`);
      assert.ok(of("hidden-tests").length >= 1, `${id}: hidden tests`);
    }
  }
});

Deno.test("student notebooks: no solution, no hidden test, same cell ids otherwise", () => {
  for (const path of listSources()) {
    const source = readNb(path);
    const student = readNb(join(STUDENT_DIR, studentFileName(path)));
    const text = JSON.stringify(student);
    assert.ok(!text.includes("BEGIN SOLUTION") && !text.includes("END SOLUTION"));
    assert.ok(!student.cells.some((c) => roleOf(c) === "hidden-tests"));
    assert.ok(!student.cells.some((c) => tagsOf(c).includes("source-only")));
    assert.ok(!text.includes("(oculta)"), "a hidden test's name leaked");
    const kept = source.cells.filter((c) =>
      roleOf(c) !== "hidden-tests" && !tagsOf(c).includes("source-only")
    );
    assert.deepEqual(student.cells.map((c) => c.id), kept.map((c) => c.id));
    for (const cell of student.cells.filter((c) => roleOf(c) === "solution")) {
      assert.match(sourceOf(cell), /throw new NotImplementedError\("\w+"\);/);
    }
    // The solutions' own code is gone (a line only the solution has).
    assert.ok(!text.includes("decoder.decode(bytes, { stream: true })"));
    assert.deepEqual(student.metadata, source.metadata);
  }
});
