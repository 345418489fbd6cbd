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
 * A submission's results are matched to those tests by name (lib/grading/feedback.ts).
 *
 * What a submission cannot do (tests/grading_hostile_test.ts tries): register or fake
 * results, read the tests, the solutions or the environment, change the intrinsics the tests
 * use, or exceed its memory and time. One bad file, or one bad exercise, costs only itself.
 *
 * @module
 */
import { basename } from "node:path";
import { listSources, SOURCES_DIR } from "./build.ts";
import { syntaxProblem } from "./_syntax.ts";
import { type Expected, outcomesOf, type TestOutcome } from "./feedback.ts";
import { findSubmissions, readSubmission, studentIdOf } from "./submission.ts";
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
  newCapabilityName,
  runInSandbox,
  type SandboxLimits,
  type SandboxRun,
} from "./sandbox.ts";

export { findSubmissions, outcomesOf, studentIdOf, type TestOutcome };

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
  /** Peak resident memory of the sandbox process, MB (null when not measured). */
  maxRssMb?: number | null;
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
 * source's visible and hidden tests inside one block that starts by taking the harness's
 * one-shot registration capability (global `take`) as its own `test` and ends by calling
 * `take("end")`. The student's code, before the block, cannot reach that `test`. Returns the
 * module with the line the student's code starts at (to point error messages at their cell).
 */
export function exerciseModule(
  source: Nb,
  exercise: string,
  code: string,
  take: string,
): { text: string; firstLine: number } {
  const part = (cells: NbCell[]) => cells.map(sourceOf).join("\n\n");
  const head = `${part(cellsOf(source, "setup", exercise))}\n\n// ---- solución\n`;
  const tail = `\n;\n// ---- pruebas\n{\nconst test = ${take}();\n` +
    `${part(cellsOf(source, "tests", exercise))}\n\n` +
    `${part(cellsOf(source, "hidden-tests", exercise))}\n${take}("end");\n}\n\nexport {};\n`;
  return { text: head + code + tail, firstLine: head.split("\n").length };
}

/** A literal module specifier is loaded without read permission: student code may not import. */
const IMPORTS = /\b(import|export)\b/;

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
      const take = newCapabilityName();
      const { text } = exerciseModule(source.nb, ex.id, code, take);
      return [ex.id, await runInSandbox(text, limits, { take })] as const;
    }),
    concurrency,
  );
  const expected = new Map<string, Expected>();
  for (const [id, run] of runs) {
    const problem = referenceProblem(run, limits);
    if (problem) {
      throw new Error(
        `la solución de referencia de ${source.info.set}/${id} (${source.path}) ${problem}`,
      );
    }
    const tests = run.events.flatMap((e) =>
      e.e === "test" ? [{ name: e.name, points: e.points }] : []
    );
    expected.set(id, tests);
  }
  return expected;
}

/** What went wrong with a reference run (the real cause, in Spanish), or null. */
function referenceProblem(run: SandboxRun, limits: SandboxLimits): string | null {
  const s = limits.timeLimitMs / 1000;
  if (run.end === "timeout") {
    return `no terminó en ${s} s (--time-limit): sube el límite; en esta máquina tardó más.`;
  }
  if (run.end === "out-of-memory") {
    return `agotó la memoria permitida (${limits.memoryMb} MB).`;
  }
  if (run.end === "output-limit") return "imprimió más de lo permitido.";
  const loadError = run.events.find((e) => e.e === "load-error");
  if (loadError) return `no se pudo cargar: ${loadError.message}`;
  if (run.end !== "done") {
    return `no terminó: ${outcomesOf([{ name: "?", points: 0 }], run, limits, 0, 0)[0].feedback}`;
  }
  if (!run.events.some((e) => e.e === "test")) return "no registra ninguna prueba.";
  const failed = run.events.flatMap((e) =>
    e.e === "result" && !e.ok ? [`${e.name}: ${e.feedback}`] : []
  );
  if (failed.length) return `no pasa sus propias pruebas: ${failed.join(" | ").slice(0, 600)}`;
  return null;
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
      nb = readSubmission(path);
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
      const tests = expected.get(ex.id)!;
      tasks.push(async () => {
        try {
          outcome.exercises[k] = await gradeExercise(source.nb, nb, ex, tests, limits);
        } catch (error) { // one exercise that cannot be graded costs only that exercise
          outcome.exercises[k] = failedExercise(
            ex,
            tests,
            `el corrector no pudo corregir este ejercicio: ${(error as Error).message}`,
            "error",
          );
        }
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

/** An exercise where every test failed with the same feedback. */
function failedExercise(
  ex: { id: string; title: string },
  expected: Expected,
  feedback: string,
  run: string,
): ExerciseOutcome {
  return {
    id: ex.id,
    title: ex.title,
    points: 0,
    maxPoints: expected.reduce((a, t) => a + t.points, 0),
    run,
    ms: 0,
    tests: expected.map((t) => ({
      name: t.name,
      points: 0,
      maxPoints: t.points,
      passed: false,
      feedback,
    })),
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
  const all = (feedback: string, run: string) => failedExercise(ex, expected, feedback, run);
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
  const syntax = await syntaxProblem(code);
  if (syntax) {
    const at = syntax.line ? ` (línea ${syntax.line} de tu celda)` : "";
    return all(`tu celda tiene un error de sintaxis${at}: ${syntax.message}.`, "not-run");
  }
  const take = newCapabilityName();
  const { text, firstLine } = exerciseModule(source, ex.id, code, take);
  const run = await runInSandbox(text, limits, { take });
  const tests = outcomesOf(expected, run, limits, firstLine, code.split("\n").length);
  return {
    id: ex.id,
    title: ex.title,
    points: tests.reduce((a, t) => a + t.points, 0),
    maxPoints: expected.reduce((a, t) => a + t.points, 0),
    run: run.end,
    ms: Math.round(run.ms),
    maxRssMb: run.maxRssMb,
    tests,
  };
}
