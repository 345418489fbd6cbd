/**
 * `deno task exercises` — builds the student notebooks (notebooks/ejercicios/alumno/) from the
 * exercise sources (notebooks/ejercicios/fuentes/*_soluciones.ipynb): solutions replaced by a
 * stub that throws "sin implementar", hidden tests removed. Deterministic: run it after
 * editing a source and commit both. `--check` only reports whether the committed ones are
 * up to date (exit 1 if not).
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { ROOT } from "../lib/core/mod.ts";
import { buildStudentNotebooks, STUDENT_DIR } from "../lib/grading/mod.ts";

/** The student notebooks that differ from what the sources build (empty when up to date). */
export function staleStudentNotebooks(): string[] {
  const tmp = mkdtempSync(join(tmpdir(), "kit-exercises-"));
  try {
    return buildStudentNotebooks({ outDir: tmp }).filter((built) => {
      const committed = join(STUDENT_DIR, basename(built));
      try {
        return readFileSync(committed, "utf8") !== readFileSync(built, "utf8");
      } catch {
        return true;
      }
    }).map((built) => relative(ROOT, join(STUDENT_DIR, basename(built))));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const stale = staleStudentNotebooks();
    for (const path of stale) {
      console.error(`desactualizado: ${path} (ejecuta deno task exercises)`);
    }
    if (stale.length) Deno.exit(1);
    console.log("Los cuadernos del alumno están al día.");
  } else {
    for (const path of buildStudentNotebooks()) console.log(`escrito: ${relative(ROOT, path)}`);
  }
}
