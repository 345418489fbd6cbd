/**
 * Every notebook under notebooks/: committed clean, Deno kernelspec, code cells type-check,
 * no secrets, and it executes headless (offline) with its key outputs asserted.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, relative } from "node:path";
import { ROOT } from "../lib/core/paths.ts";
import { findSecrets } from "../lib/core/secrets.ts";
import { listNotebooks, notebookProblems, typecheckNotebook } from "../scripts/check.ts";
import { NB_EXIT, type Notebook } from "../scripts/nb.ts";
import { execute } from "./_notebooks.ts";
import { check00Entorno } from "./notebooks/00_entorno.ts";
import { check01Pipeline } from "./notebooks/01_pipeline.ts";
import { check02Optimizado } from "./notebooks/02_optimizado.ts";
import { check03Ollama } from "./notebooks/03_ollama.ts";
import { check04Groq } from "./notebooks/04_groq.ts";
import { check05Comparacion } from "./notebooks/05_comparacion.ts";
import { checkEjerciciosAlumno, checkEjerciciosFuente } from "./notebooks/ejercicios.ts";
import { FAKE_GROQ_KEY, NOTEBOOK_TEST_ENV } from "./notebooks/env.ts";

/** Per-notebook assertions on the executed copy. Every notebook must have one. */
const CHECKS: Record<string, (nb: Notebook) => void | Promise<void>> = {
  "00_entorno.ipynb": check00Entorno,
  "01_pipeline.ipynb": check01Pipeline,
  "02_optimizado.ipynb": check02Optimizado,
  "03_ollama.ipynb": check03Ollama,
  "04_groq.ipynb": check04Groq,
  "05_comparacion.ipynb": check05Comparacion,
  // Exercises: the source (solutions) passes every test; the student version runs to the end
  // too, each test printing ❌ "sin implementar" (the notebook's test() catches).
  "optimizacion_soluciones.ipynb": checkEjerciciosFuente,
  "optimizacion.ipynb": checkEjerciciosAlumno,
};

const notebooks = listNotebooks();

Deno.test("there are notebooks, and each one has output assertions", () => {
  assert.ok(notebooks.length > 0);
  for (const nb of notebooks) assert.ok(CHECKS[basename(nb)], `no CHECKS entry for ${nb}`);
});

for (const path of notebooks) {
  const rel = relative(ROOT, path);

  Deno.test(`${rel}: committed clean (Deno kernelspec, no outputs, no secrets)`, () => {
    assert.deepEqual(notebookProblems(path), []);
    const nb = JSON.parse(readFileSync(path, "utf8"));
    assert.equal(nb.metadata.kernelspec.name, "deno");
    assert.equal(nb.metadata.kernelspec.language, "typescript");
  });

  Deno.test(`${rel}: code cells type-check`, async () => {
    const { ok, output } = await typecheckNotebook(path);
    assert.ok(ok, output);
  });

  Deno.test(`${rel}: executes headless offline, key outputs asserted`, async () => {
    const { code, stderr, nb } = await execute(path, { env: NOTEBOOK_TEST_ENV });
    assert.equal(code, NB_EXIT.ok, stderr);
    const text = JSON.stringify(nb);
    assert.ok(!text.includes(FAKE_GROQ_KEY.slice(4)), "the key leaked into an output");
    assert.deepEqual(findSecrets(text), []);
    await CHECKS[basename(path)](nb);
  });
}
