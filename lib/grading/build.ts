/**
 * Builds the student notebooks from the exercise sources: each `// BEGIN SOLUTION …
 * // END SOLUTION` region becomes a stub that throws a Spanish "sin implementar" error,
 * hidden tests and instructor-only cells are removed, outputs are cleared. Deterministic:
 * cell ids come from the source, so the same source gives the same bytes.
 *
 * @module
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ROOT } from "../core/paths.ts";
import {
  type Nb,
  type NbCell,
  readNb,
  roleOf,
  serializeNb,
  sourceOf,
  tagsOf,
} from "../notebook/nbformat.ts";

/** Where exercise sources live. */
export const SOURCES_DIR: string = join(ROOT, "notebooks", "ejercicios", "fuentes");
/** Where the generated student notebooks live. */
export const STUDENT_DIR: string = join(ROOT, "notebooks", "ejercicios", "alumno");
/** Source notebooks end in this; the student notebook drops it. */
export const SOURCE_SUFFIX = "_soluciones.ipynb";

const BEGIN = /^(\s*)\/\/\s*BEGIN SOLUTION\s*$/;
const END = /^\s*\/\/\s*END SOLUTION\s*$/;

/** The name of the function a region sits in: the nearest `function name` above it. */
function enclosingName(lines: string[], at: number): string {
  for (let i = at; i >= 0; i--) {
    const m = /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)/.exec(lines[i]);
    if (m) return m[1];
  }
  return "esta función";
}

/**
 * Replaces every solution region of a cell's code with a stub that throws
 * `NotImplementedError` (from lib/grading/checks.ts, which the setup cell imports). Throws on
 * an unmatched or nested marker.
 *
 * @example
 * ```ts
 * stripSolutions("function f() {\n  // BEGIN SOLUTION\n  return 1;\n  // END SOLUTION\n}");
 * // 'function f() {\n  // TU SOLUCIÓN AQUÍ: borra el throw y escribe tu código.\n' +
 * // '  throw new NotImplementedError("f");\n}'
 * ```
 */
export function stripSolutions(code: string): string {
  const lines = code.split("\n");
  const out: string[] = [];
  let inside = false;
  lines.forEach((line, i) => {
    const begin = BEGIN.exec(line);
    if (begin) {
      if (inside) throw new Error(`BEGIN SOLUTION anidado en la línea ${i + 1}`);
      inside = true;
      const indent = begin[1];
      out.push(`${indent}// TU SOLUCIÓN AQUÍ: borra el throw y escribe tu código.`);
      out.push(
        `${indent}throw new NotImplementedError(${JSON.stringify(enclosingName(lines, i))});`,
      );
    } else if (END.test(line)) {
      if (!inside) throw new Error(`END SOLUTION sin BEGIN en la línea ${i + 1}`);
      inside = false;
    } else if (!inside) out.push(line);
  });
  if (inside) throw new Error("BEGIN SOLUTION sin END SOLUTION");
  return out.join("\n");
}

/** True when a code text has at least one solution region. */
export function hasSolutionRegion(code: string): boolean {
  return code.split("\n").some((line) => BEGIN.test(line));
}

/**
 * The student version of a source notebook: solution regions stubbed, `hidden-tests` and
 * `source-only` cells removed, outputs and execution counts cleared, metadata kept. Throws
 * when a solution cell has no solution region (it would hand the answer to the students).
 */
export function studentNotebook(source: Nb): Nb {
  const cells: NbCell[] = [];
  for (const cell of source.cells) {
    if (roleOf(cell) === "hidden-tests" || tagsOf(cell).includes("source-only")) continue;
    const copy: NbCell = { ...cell, metadata: structuredClone(cell.metadata ?? {}) };
    if (cell.cell_type === "code") {
      copy.outputs = [];
      copy.execution_count = null;
      if (roleOf(cell) === "solution") {
        if (!hasSolutionRegion(sourceOf(cell))) {
          throw new Error(`la celda de solución "${cell.id}" no tiene // BEGIN SOLUTION`);
        }
        copy.source = stripSolutions(sourceOf(cell));
      }
    }
    cells.push(copy);
  }
  return { ...source, metadata: structuredClone(source.metadata), cells };
}

/** The student notebook's file name for a source file name. */
export function studentFileName(sourceName: string): string {
  return basename(sourceName).replace(/_soluciones\.ipynb$/, ".ipynb");
}

/** The source notebooks (files ending in `_soluciones.ipynb`), sorted. */
export function listSources(dir = SOURCES_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(SOURCE_SUFFIX)).sort().map((f) => join(dir, f));
}

/**
 * Writes the student notebook of every source into `outDir`; returns the written paths.
 *
 * @example
 * ```ts
 * buildStudentNotebooks(); // ["…/notebooks/ejercicios/alumno/optimizacion.ipynb"]
 * ```
 */
export function buildStudentNotebooks(
  { sourcesDir = SOURCES_DIR, outDir = STUDENT_DIR }: { sourcesDir?: string; outDir?: string } = {},
): string[] {
  mkdirSync(outDir, { recursive: true });
  return listSources(sourcesDir).map((src) => {
    const out = join(outDir, studentFileName(src));
    writeFileSync(out, serializeNb(studentNotebook(readNb(src))));
    return out;
  });
}
