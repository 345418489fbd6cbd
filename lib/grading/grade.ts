/**
 * The autograder: for each submission and each exercise, builds one module from the source's
 * setup cells, the student's solution cell and the source's visible and hidden tests, runs it
 * in the sandbox (lib/grading/sandbox.ts), and turns what the harness reported into points
 * and Spanish feedback per test. Exercises are graded separately, so an infinite loop or a
 * syntax error in one exercise costs only that exercise's points.
 *
 * Before grading, each exercise is run once with the source's own solution (the reference
 * run): it must pass every test, and it gives the list of tests and their points, so a
 * submission that dies before its tests are even registered still gets one line per test.
 *
 * @module
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { listSources, SOURCES_DIR } from "./build.ts";
import {
  exerciseOf,
  type Nb,
  type NbCell,
  readNb,
  roleOf,
  type SetInfo,
  setInfoOf,
  sourceOf,
} from "../notebook/nbformat.ts";
import {
  DEFAULT_LIMITS,
  type HarnessEvent,
  runInSandbox,
  type SandboxLimits,
  type SandboxRun,
} from "./sandbox.ts";

/** One test's outcome. */
export interface TestOutcome {
  name: string;
  points: number;
  maxPoints: number;
  passed: boolean;
  /** Spanish feedback when it failed. */
  feedback: string | null;
}

/** One exercise's outcome for one submission. */
export interface ExerciseOutcome {
  id: string;
  title: string;
  points: number;
  maxPoints: number;
  tests: TestOutcome[];
  /** How the sandboxed run ended ("done", "timeout", …; "not-run" when it was not run). */
  run: string;
  ms: number;
}

/** One submission's outcome. */
export interface SubmissionOutcome {
  student: string;
  file: string;
  set: string;
  points: number;
  maxPoints: number;
  exercises: ExerciseOutcome[];
  /** Set when the file could not be graded at all (not a notebook, unknown set). */
  error?: string;
}

/** Everything one grading produced. */
export interface GradeReport {
  generatedAt: string;
  limits: SandboxLimits;
  submissions: SubmissionOutcome[];
}

/** Options for {@link gradeSubmissions}. */
export interface GradeOptions {
  /** Folder of source notebooks (default notebooks/ejercicios/fuentes). */
  sourcesDir?: string;
  /** Sandbox limits (defaults: {@link DEFAULT_LIMITS}). */
  limits?: Partial<SandboxLimits>;
  /** Sandboxes run at the same time (default: CPU count, at most 8). */
  concurrency?: number;
  /** Called after each graded exercise (progress). */
  onProgress?: (done: number, total: number) => void;
}

/** A loaded source notebook. */
interface Source {
  path: string;
  nb: Nb;
  info: SetInfo;
}

/** An exercise's tests, from its reference run. */
type Expected = { name: string; points: number }[];

/** Loads every source notebook of a folder, by set id. */
export function loadSources(dir = SOURCES_DIR): Map<string, Source> {
  const sources = new Map<string, Source>();
  for (const path of listSources(dir)) {
    const nb = readNb(path);
    const info = setInfoOf(nb);
    if (!info) throw new Error(`${path}: falta "kit_exercises" en los metadatos del cuaderno`);
    sources.set(info.set, { path, nb, info });
  }
  return sources;
}

/** The notebooks to grade: the file itself, or every .ipynb under a folder (sorted). */
export function findSubmissions(path: string): string[] {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`no existe: ${path}`);
  if (!statSync(full).isDirectory()) return [full];
  const found: string[] = [];
  for (const entry of readdirSync(full, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const p = join(full, entry.name);
    if (entry.isDirectory()) found.push(...findSubmissions(p));
    else if (entry.name.endsWith(".ipynb")) found.push(p);
  }
  return found.sort();
}

/**
 * The student id of a submission: its file name without `.ipynb` (`ana_garcia.ipynb` →
 * `ana_garcia`), or the folder's name when the file kept the notebook's own name
 * (`ana_garcia/optimizacion.ipynb` → `ana_garcia`).
 *
 * @example
 * ```ts
 * studentIdOf("entregas/ana/optimizacion.ipynb", "optimizacion"); // "ana"
 * ```
 */
export function studentIdOf(path: string, set: string): string {
  const stem = basename(path).replace(/\.ipynb$/, "");
  return stem === set ? basename(dirname(resolve(path))) : stem;
}

/** The code cells of a role for one exercise (setup cells without an exercise count for all). */
function cellsOf(nb: Nb, role: string, exercise: string): NbCell[] {
  return nb.cells.filter((c) =>
    roleOf(c) === role &&
    (exerciseOf(c) === exercise || (role === "setup" && exerciseOf(c) === null))
  );
}

/**
 * The student's code for an exercise: the submission's cells with the ids of the source's
 * solution cells (ids survive editing in Jupyter), or else the cells tagged as that exercise's
 * solution. Null when there is none.
 */
export function studentCode(source: Nb, submission: Nb, exercise: string): string | null {
  const ids = new Set(cellsOf(source, "solution", exercise).map((c) => c.id));
  let cells = submission.cells.filter((c) => c.cell_type === "code" && ids.has(c.id));
  if (cells.length === 0) {
    cells = submission.cells.filter((c) =>
      c.cell_type === "code" && roleOf(c) === "solution" && exerciseOf(c) === exercise
    );
  }
  return cells.length ? cells.map(sourceOf).join("\n\n") : null;
}

/**
 * Builds the module the sandbox runs: the source's setup cells, the student's code, then the
 * source's visible and hidden tests for the exercise. Returns it with the line the student's
 * code starts at (to point error messages at the student's cell).
 */
export function exerciseModule(
  source: Nb,
  exercise: string,
  code: string,
): { text: string; firstLine: number } {
  const part = (cells: NbCell[]) => cells.map(sourceOf).join("\n\n");
  const head = `${part(cellsOf(source, "setup", exercise))}\n\n// ---- solución\n`;
  const tail = `\n\n// ---- pruebas\n${part(cellsOf(source, "tests", exercise))}\n\n` +
    `${part(cellsOf(source, "hidden-tests", exercise))}\n\nexport {};\n`;
  return { text: head + code + tail, firstLine: head.split("\n").length };
}

/** A literal module specifier is loaded without read permission: student code may not import. */
const IMPORTS = /\b(import|export)\b/;

const kb = (bytes: number) => Math.round(bytes / 1024);

/** " (línea N de tu celda)" when a module line falls in the student's cell, else "". */
function where(line: number | null | undefined, firstLine: number, codeLines: number): string {
  if (!line) return "";
  const n = line - firstLine + 1;
  return n >= 1 && n <= codeLines ? ` (línea ${n} de tu celda)` : "";
}

/** Feedback for a cell that could not be loaded (syntax error, error at its top level). */
function loadFeedback(message: string, at: string): string {
  const syntax = /SyntaxError: (.*)$/.exec(message);
  if (syntax) return `tu celda tiene un error de sintaxis${at}: ${syntax[1]}.`;
  return `tu celda lanzó un error al ejecutarse${at}: ${message}`;
}

/** Spanish feedback for tests the run never finished, by how the run ended. */
function unfinished(run: SandboxRun, limits: SandboxLimits, started: boolean): string {
  const s = limits.timeLimitMs / 1000;
  const why: Record<string, [string, string]> = {
    timeout: [
      `se agotó el tiempo (${s} s) durante esta prueba: ¿hay un bucle que no termina?`,
      "se agotó el tiempo",
    ],
    "output-limit": [
      `tu código imprimió demasiado (más de ${kb(limits.maxOutputBytes)} KB) y se detuvo la ` +
      "corrección: quita los console.log de los bucles.",
      "tu código imprimió demasiado",
    ],
    "out-of-memory": [
      `tu código agotó la memoria permitida (${limits.memoryMb} MB) durante esta prueba.`,
      "se agotó la memoria",
    ],
    exited: [
      "el programa terminó durante esta prueba (¿Deno.exit, process.exit o un fallo grave?): " +
      "una función no debe terminar el programa.",
      "el programa terminó antes de tiempo",
    ],
  };
  const [here, before] = why[run.end] ?? why.exited;
  return started ? here : `no se llegó a ejecutar: la corrección se detuvo antes (${before}).`;
}

/** Feedback when the module never finished loading (the cell's top-level code). */
function notLoaded(run: SandboxRun, limits: SandboxLimits): string {
  switch (run.end) {
    case "timeout":
      return `tu celda no terminó de ejecutarse en ${limits.timeLimitMs / 1000} s: ` +
        "¿un bucle infinito fuera de una función?";
    case "output-limit":
      return `tu celda imprimió demasiado (más de ${kb(limits.maxOutputBytes)} KB) al ejecutarse.`;
    case "out-of-memory":
      return `tu celda agotó la memoria permitida (${limits.memoryMb} MB) al ejecutarse.`;
    default:
      return run.events.some((e) => e.e === "hello")
        ? "el programa terminó mientras se ejecutaba tu celda (¿Deno.exit o process.exit?)."
        : `el corrector no pudo arrancar: ${run.stderr.slice(0, 300)}`;
  }
}

/** Turns a sandboxed run into one outcome per expected test. */
export function outcomesOf(
  expected: Expected,
  run: SandboxRun,
  limits: SandboxLimits,
  firstLine: number,
  codeLines: number,
): TestOutcome[] {
  const fail = (t: Expected[number], feedback: string): TestOutcome => ({
    name: t.name,
    points: 0,
    maxPoints: t.points,
    passed: false,
    feedback,
  });
  const find = <K extends HarnessEvent["e"]>(e: K) =>
    run.events.find((x) => x.e === e) as Extract<HarnessEvent, { e: K }> | undefined;
  if (find("tampered")) {
    return expected.map((t) =>
      fail(
        t,
        "tu código modificó funciones de JavaScript (Math, JSON, Array…) de las que dependen " +
          "las pruebas; no está permitido.",
      )
    );
  }
  const loadError = find("load-error");
  if (loadError) {
    const text = loadFeedback(loadError.message, where(loadError.line, firstLine, codeLines));
    return expected.map((t) => fail(t, text));
  }
  if (!find("loaded")) return expected.map((t) => fail(t, notLoaded(run, limits)));
  const results = new Map<number, Extract<HarnessEvent, { e: "result" }>>();
  const started = new Set<number>();
  for (const ev of run.events) {
    if (ev.e === "result" && !results.has(ev.i)) results.set(ev.i, ev);
    if (ev.e === "start") started.add(ev.i);
  }
  return expected.map((t, i) => {
    const r = results.get(i);
    if (!r) return fail(t, unfinished(run, limits, started.has(i)));
    if (r.ok) {
      return { name: t.name, points: t.points, maxPoints: t.points, passed: true, feedback: null };
    }
    return fail(t, `${r.feedback ?? "falló"}${where(r.line, firstLine, codeLines)}`);
  });
}

/** Runs tasks with at most `n` at a time, keeping their order. */
async function pool<T>(tasks: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, tasks.length)) }, worker));
  return out;
}

/** Runs the source's own solution for every exercise and returns the tests of each. */
async function referenceRuns(
  source: Source,
  limits: SandboxLimits,
  concurrency: number,
): Promise<Map<string, Expected>> {
  const runs = await pool(
    source.info.exercises.map((ex) => async () => {
      const code = studentCode(source.nb, source.nb, ex.id);
      if (code === null) {
        throw new Error(`${source.path}: el ejercicio "${ex.id}" no tiene celda de solución`);
      }
      const { text } = exerciseModule(source.nb, ex.id, code);
      return [ex.id, await runInSandbox(text, limits)] as const;
    }),
    concurrency,
  );
  const expected = new Map<string, Expected>();
  for (const [id, run] of runs) {
    const loaded = run.events.find((e) => e.e === "loaded") as
      | Extract<HarnessEvent, { e: "loaded" }>
      | undefined;
    const failed = run.events.filter((e) => (e.e === "result" && !e.ok) || e.e === "tampered");
    if (run.end !== "done" || !loaded || failed.length || loaded.tests.length === 0) {
      throw new Error(
        `la solución de la fuente no pasa sus propias pruebas (${source.info.set}/${id}, ` +
          `${run.end}): ${JSON.stringify(failed.length ? failed : run.events).slice(0, 600)} ` +
          run.stderr.slice(0, 600),
      );
    }
    expected.set(id, loaded.tests);
  }
  return expected;
}

/**
 * Grades notebooks: every exercise of each, in the sandbox, with points and Spanish feedback
 * per test. A file that is not an exercise notebook gets an `error` and no points.
 *
 * @example
 * ```ts
 * const report = await gradeSubmissions(findSubmissions("entregas/"));
 * report.submissions.map((s) => `${s.student}: ${s.points}/${s.maxPoints}`);
 * ```
 */
export async function gradeSubmissions(
  paths: string[],
  opts: GradeOptions = {},
): Promise<GradeReport> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const concurrency = opts.concurrency ??
    Math.max(1, Math.min(8, navigator.hardwareConcurrency ?? 2));
  const sources = loadSources(opts.sourcesDir);
  const expectedBySet = new Map<string, Map<string, Expected>>();

  const submissions: SubmissionOutcome[] = [];
  const tasks: (() => Promise<void>)[] = [];
  for (const path of paths) {
    let nb: Nb;
    try {
      nb = readNb(path);
    } catch (error) {
      submissions.push(broken(path, "?", (error as Error).message));
      continue;
    }
    const set = setInfoOf(nb)?.set ?? "";
    const source = sources.get(set);
    if (!source) {
      submissions.push(
        broken(
          path,
          set || "?",
          set
            ? `no hay ejercicios "${set}" en ${opts.sourcesDir ?? SOURCES_DIR}`
            : "no es un cuaderno de ejercicios del kit (le falta kit_exercises en los metadatos)",
        ),
      );
      continue;
    }
    if (!expectedBySet.has(set)) {
      expectedBySet.set(set, await referenceRuns(source, limits, concurrency));
    }
    const expected = expectedBySet.get(set)!;
    const outcome: SubmissionOutcome = {
      student: studentIdOf(path, set),
      file: path,
      set,
      points: 0,
      maxPoints: 0,
      exercises: [],
    };
    submissions.push(outcome);
    source.info.exercises.forEach((ex, k) => {
      tasks.push(async () => {
        outcome.exercises[k] = await gradeExercise(source.nb, nb, ex, expected.get(ex.id)!, limits);
      });
    });
  }
  let done = 0;
  await pool(
    tasks.map((t) => async () => {
      await t();
      opts.onProgress?.(++done, tasks.length);
    }),
    concurrency,
  );
  for (const s of submissions) {
    s.points = s.exercises.reduce((a, e) => a + e.points, 0);
    s.maxPoints = s.exercises.reduce((a, e) => a + e.maxPoints, 0);
  }
  return { generatedAt: new Date().toISOString(), limits, submissions };
}

function broken(path: string, set: string, error: string): SubmissionOutcome {
  return {
    student: basename(path).replace(/\.ipynb$/, ""),
    file: path,
    set,
    points: 0,
    maxPoints: 0,
    exercises: [],
    error,
  };
}

/** Grades one exercise of one submission. */
async function gradeExercise(
  source: Nb,
  submission: Nb,
  ex: { id: string; title: string },
  expected: Expected,
  limits: SandboxLimits,
): Promise<ExerciseOutcome> {
  const maxPoints = expected.reduce((a, t) => a + t.points, 0);
  const all = (feedback: string, run: string): ExerciseOutcome => ({
    id: ex.id,
    title: ex.title,
    points: 0,
    maxPoints,
    run,
    ms: 0,
    tests: expected.map((t) => ({
      name: t.name,
      points: 0,
      maxPoints: t.points,
      passed: false,
      feedback,
    })),
  });
  const code = studentCode(source, submission, ex.id);
  if (code === null) {
    return all(
      "no se encontró la celda de tu solución de este ejercicio (¿la borraste o cambiaste de " +
        "celda?): escribe tu código en la celda de la solución.",
      "not-run",
    );
  }
  const word = IMPORTS.exec(code)?.[1];
  if (word) {
    return all(
      `tu solución no puede usar «${word}» (ni siquiera en un comentario): escribe el código ` +
        "sin importar ni exportar módulos; todo lo que necesitas ya está definido.",
      "not-run",
    );
  }
  const { text, firstLine } = exerciseModule(source, ex.id, code);
  const run = await runInSandbox(text, limits);
  const tests = outcomesOf(expected, run, limits, firstLine, code.split("\n").length);
  return {
    id: ex.id,
    title: ex.title,
    points: tests.reduce((a, t) => a + t.points, 0),
    maxPoints,
    run: run.end,
    ms: Math.round(run.ms),
    tests,
  };
}
