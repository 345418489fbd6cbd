/**
 * Grading must not lose work (issue 18, items 5, 8, 9): the output folder is checked before
 * grading, reports are replaced atomically (a full disk leaves the old one whole), CSV cells
 * cannot start a spreadsheet formula, and messages name the real cause.
 */
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ROOT } from "../lib/core/paths.ts";
import { exerciseOf, type Nb, roleOf } from "../lib/notebook/nbformat.ts";
import { listSources } from "../lib/grading/build.ts";
import { exitCause } from "../lib/grading/feedback.ts";
import { type GradeReport, gradeSubmissions } from "../lib/grading/grade.ts";
import {
  checkOutDir,
  type ReportFs,
  summaryText,
  toCsv,
  writeReports,
} from "../lib/grading/report.ts";
import type { SandboxRun } from "../lib/grading/sandbox.ts";
import { parseArgs } from "../scripts/grade.ts";
import { tempDir } from "./_notebooks.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function tinyReport(student: string, feedback = "x"): GradeReport {
  return {
    generatedAt: "2026-01-01T00:00:00.000Z",
    limits: { timeLimitMs: 1, testTimeoutMs: 1, maxOutputBytes: 1, memoryMb: 1 },
    submissions: [{
      student,
      file: `/entregas/${student}.ipynb`,
      set: "optimizacion",
      points: 0,
      maxPoints: 1,
      exercises: [{
        id: "memoria",
        title: "t",
        points: 0,
        maxPoints: 1,
        run: "done",
        ms: 1,
        tests: [{ name: "@SUM(1)", points: 0, maxPoints: 1, passed: false, feedback }],
      }],
    }],
  };
}

Deno.test("CSV: a cell that a spreadsheet would run as a formula starts with '", () => {
  const csv = toCsv(tinyReport("=1+2+cmd|calc", "-2+3")).trimEnd().split("\n");
  const row = csv[1];
  assert.match(row, /^'=1\+2\+cmd\|calc,\/entregas\/=1\+2\+cmd\|calc\.ipynb,optimizacion,/);
  assert.match(row, /,'@SUM\(1\): -2\+3$/);
  for (const cell of row.split(",")) assert.doesNotMatch(cell, /^"?[=+\-@]/, cell);
});

Deno.test("the summary shows a file name's control characters as ?, not to the terminal", () => {
  const text = summaryText(tinyReport("eve\x1b]0;pwned\x07\x1b[2J", "mal\rhecho"));
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f]/);
  assert.match(text, /eve\?\]0;pwned\?\?\[2J/);
});

Deno.test("a full disk leaves the previous grades.json whole, and says so in Spanish", () => {
  const dir = tempDir("grading-full-");
  writeReports(tinyReport("ana"), dir);
  const before = readFileSync(join(dir, "grades.json"), "utf8");
  let probes = 0;
  const full: ReportFs = {
    write(path, text) {
      if (path.includes(".grades-probe-") && probes++ === 0) return writeFileSync(path, text);
      writeFileSync(path, text.slice(0, 10)); // a partial write, then the disk is full
      throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    },
    rename: () => assert.fail("must not rename a partial file"),
  };
  assert.throws(
    () => writeReports(tinyReport("luis"), dir, full),
    /no se pudo escribir .*grades\.json: el disco está lleno\. El informe anterior, si lo había, sigue intacto/,
  );
  assert.equal(readFileSync(join(dir, "grades.json"), "utf8"), before);
  const readOnly: ReportFs = {
    write() {
      throw Object.assign(new Error("EROFS: read-only file system"), { code: "EROFS" });
    },
    rename: () => {},
  };
  assert.throws(() => checkOutDir(dir, readOnly), /el sistema de archivos es de solo lectura/);
});

Deno.test("deno task grade: an unusable --out fails before grading, in Spanish", async () => {
  const dir = tempDir("grading-out-");
  const file = join(dir, "soy_un_archivo");
  writeFileSync(file, "x");
  copyFileSync(listSources()[0], join(dir, "ana.ipynb"));
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts", "grade.ts"), join(dir, "ana.ipynb"), "--out", file],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 2);
  const err = decode(run.stderr);
  assert.match(
    err,
    /no se puede crear la carpeta de informes .*soy_un_archivo: ya existe un archivo/,
  );
  assert.doesNotMatch(err, /EEXIST|ENOTDIR/);
  assert.equal(decode(run.stdout), "", "nothing was graded");
});

Deno.test("--time-limit out of range is a usage error that names the range", () => {
  for (const bad of ["0", "-5", "0.001", "1e9", "NaN", "abc"]) {
    assert.throws(
      () => parseArgs(["x.ipynb", "--time-limit", bad]),
      /--time-limit necesita un número de segundos entre 1 y 600/,
      bad,
    );
  }
  assert.equal(parseArgs(["x.ipynb", "--time-limit", "30"]).timeLimitS, 30);
});

Deno.test("a reference run that runs out of time says so, not that the source is wrong", async () => {
  // A source whose first solution never ends: the reference run can only time out.
  const dir = tempDir("grading-slow-source-");
  const source = listSources()[0];
  const nb = JSON.parse(readFileSync(source, "utf8")) as Nb;
  const cell = nb.cells.find((c) => c.cell_type === "code" && roleOf(c) === "solution")!;
  cell.source = [
    ...(Array.isArray(cell.source) ? cell.source : [cell.source]),
    "\nwhile (true) {}\n",
  ];
  writeFileSync(join(dir, basename(source)), JSON.stringify(nb));
  await assert.rejects(
    () =>
      gradeSubmissions([source], {
        sourcesDir: dir,
        limits: { timeLimitMs: 1500 },
        concurrency: 2,
      }),
    (e: Error) => {
      assert.match(e.message, /no terminó en 1\.5 s \(--time-limit\): sube el límite/);
      assert.match(e.message, new RegExp(`/${exerciseOf(cell)} `));
      assert.doesNotMatch(e.message, /no pasa sus propias pruebas/);
      return true;
    },
  );
});

Deno.test("a process that dies names its cause: permission, Worker, signal", () => {
  const run = (stderr: string, code: number | null): SandboxRun => ({
    events: [],
    end: "exited",
    code,
    stderr,
    ms: 1,
    maxRssMb: null,
    dataLimitMb: null,
  });
  assert.match(
    exitCause(run('error: Uncaught (in worker "") NotCapable: Requires read access to "/x"', 1)),
    /tu código intentó leer archivos/,
  );
  assert.match(
    exitCause(run('error: Uncaught (in worker "") Error: boom\n', 1)),
    /error sin capturar en un Worker: Error: boom/,
  );
  assert.match(exitCause(run("", null)), /murió por una señal/);
  assert.doesNotMatch(exitCause(run("", 1)), /Deno\.exit/);
});
