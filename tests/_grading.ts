/**
 * Helpers for the grader's tests: a copy of the solutions notebook with one exercise's
 * solution cell replaced by a fixture (a `.txt` whose first line is `// ejercicio: <id>`).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listSources } from "../lib/grading/build.ts";
import { readNb, serializeNb, sourceLines } from "../lib/notebook/nbformat.ts";

/**
 * Writes `<dir>/<name>.ipynb`: the solutions notebook with the solution cell of the fixture's
 * exercise replaced by `<fixtures>/<name>.txt` (after replacing each key of `vars`).
 */
export function badSubmission(
  fixtures: string,
  dir: string,
  name: string,
  vars: Record<string, string> = {},
): string {
  let text = readFileSync(join(fixtures, `${name}.txt`), "utf8");
  for (const [key, value] of Object.entries(vars)) text = text.replaceAll(key, value);
  const [header, ...code] = text.split("\n");
  const exercise = /^\/\/ ejercicio: (\w+)$/.exec(header)?.[1];
  assert.ok(exercise, `${name}.txt: first line must be "// ejercicio: <id>"`);
  const nb = readNb(listSources()[0]);
  const cell = nb.cells.find((c) => c.id === `${exercise}-solucion`);
  assert.ok(cell, `no solution cell for ${exercise}`);
  cell.source = sourceLines(code.join("\n"));
  const path = join(dir, `${name}.ipynb`);
  writeFileSync(path, serializeNb(nb));
  return path;
}
