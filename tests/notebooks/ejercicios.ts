/**
 * What the exercise notebooks must show when executed: in the source (with solutions) every
 * visible and hidden test prints ✅; in the student notebook every visible test prints ❌ with
 * the "sin implementar" feedback, and the notebook still runs to the end (the checks catch).
 */
import assert from "node:assert/strict";
import type { Notebook } from "../../scripts/nb.ts";
import { cellSource, outputText } from "../_notebooks.ts";

/** Output lines of each test cell, with how many tests the cell declares. */
function testCells(nb: Notebook): { id: string; declared: number; lines: string[] }[] {
  return nb.cells
    .filter((c) => c.metadata?.tags?.some((t) => t === "tests" || t === "hidden-tests"))
    .map((c) => ({
      id: c.id ?? "?",
      declared: cellSource(c).match(/await test\(/g)?.length ?? 0,
      lines: (c.outputs ?? []).map(outputText).join("").split("\n").filter((l) => l.trim()),
    }));
}

/** Asserts the executed source notebook: every test passes. */
export function checkEjerciciosFuente(nb: Notebook): void {
  const cells = testCells(nb);
  assert.ok(cells.length >= 10, "visible and hidden tests for five exercises");
  for (const cell of cells) {
    assert.ok(cell.declared > 0, cell.id);
    assert.equal(cell.lines.length, cell.declared, `${cell.id}: ${cell.lines.join("\n")}`);
    for (const line of cell.lines) {
      assert.match(line, /^✅ .+ \(\d+\/\d+ puntos?\)$/, `${cell.id}: ${line}`);
    }
  }
}

/** Asserts the executed student notebook: every visible test fails with "sin implementar". */
export function checkEjerciciosAlumno(nb: Notebook): void {
  const cells = testCells(nb);
  assert.ok(cells.length >= 5, "visible tests for five exercises");
  for (const cell of cells) {
    assert.equal(cell.lines.length, cell.declared, `${cell.id}: ${cell.lines.join("\n")}`);
    for (const line of cell.lines) {
      assert.match(
        line,
        /^❌ .+ \(0\/\d+ puntos?\): sin implementar: escribe tu solución en \w+/,
        `${cell.id}: ${line}`,
      );
    }
  }
}
