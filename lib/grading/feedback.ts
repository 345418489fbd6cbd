/**
 * Turns what a sandboxed run reported into one outcome per expected test, with Spanish
 * feedback that names the real cause (a syntax error, a time or memory limit, a forbidden
 * operation, the process dying).
 *
 * Results are matched to the expected tests BY NAME (and, for repeated names, by their
 * order among tests of that name), never by position: an expected test with no result of its
 * own scores 0.
 *
 * @module
 */
import { attemptedAction } from "./checks.ts";
import type { HarnessEvent, SandboxLimits, SandboxRun } from "./sandbox.ts";

/** One test's outcome. */
export interface TestOutcome {
  name: string;
  points: number;
  maxPoints: number;
  passed: boolean;
  /** Spanish feedback when it failed. */
  feedback: string | null;
}

/** The tests of an exercise, from its reference run: names and points, in order. */
export type Expected = { name: string; points: number }[];

const kb = (bytes: number) => Math.round(bytes / 1024);

/** " (línea N de tu celda)" when a module line falls in the student's cell, else "". */
export function where(line: number | null | undefined, firstLine: number, codeLines: number) {
  if (!line) return "";
  const n = line - firstLine + 1;
  return n >= 1 && n <= codeLines ? ` (línea ${n} de tu celda)` : "";
}

/** Feedback for a cell that could not be loaded (syntax error, error at its top level). */
export function loadFeedback(message: string, at: string): string {
  const syntax = /SyntaxError: (.*)$/.exec(message);
  if (syntax) return `tu celda tiene un error de sintaxis${at}: ${syntax[1]}.`;
  if (/^tu código /.test(message)) return `${message}${at}`;
  return `tu celda lanzó un error al ejecutarse${at}: ${message}`;
}

/**
 * Why a process ended without reporting, read from its exit status and stderr: a permission
 * error, an uncaught error (in a Worker or elsewhere), a signal, or an unexpected exit.
 */
export function exitCause(run: SandboxRun): string {
  // deno-lint-ignore no-control-regex
  const stderr = run.stderr.replace(/\x1b\[[0-9;]*m/g, "");
  const permission = /Requires (\w+) access[^\n]*/.exec(stderr);
  if (permission) {
    return `el proceso terminó porque tu código intentó ${attemptedAction(permission[0])}, ` +
      `y eso no está permitido (${permission[0].slice(0, 160)})`;
  }
  const uncaught = /error: Uncaught (\(in worker[^)]*\) )?([^\n]*)/.exec(stderr);
  if (uncaught) {
    return `el proceso terminó por un error sin capturar${uncaught[1] ? " en un Worker" : ""}: ` +
      uncaught[2].slice(0, 200);
  }
  if (run.code === null) return "el proceso murió por una señal del sistema";
  return `el proceso terminó antes de tiempo (código de salida ${run.code})`;
}

/** Spanish feedback for tests the run never finished, by how the run ended. */
function unfinished(run: SandboxRun, limits: SandboxLimits, started: boolean): string {
  if (run.end === "done") {
    return "esta prueba no llegó a ejecutarse aunque la corrección terminó: ¿tu código " +
      "interfirió con las pruebas?";
  }
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
    exited: [`${exitCause(run)} durante esta prueba.`, "el proceso terminó antes de tiempo"],
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
        ? `${exitCause(run)} mientras se ejecutaba tu celda.`
        : `el corrector no pudo arrancar: ${run.stderr.slice(0, 300)}`;
  }
}

/** The key of the k-th test named `name`. */
const keyOf = (name: string, k: number) => `${k}\u0000${name}`;

/** Turns a sandboxed run into one outcome per expected test, matched by name. */
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
  const loadError = run.events.find((x) => x.e === "load-error") as
    | Extract<HarnessEvent, { e: "load-error" }>
    | undefined;
  if (loadError) {
    const text = loadFeedback(loadError.message, where(loadError.line, firstLine, codeLines));
    return expected.map((t) => fail(t, text));
  }
  if (!run.events.some((x) => x.e === "loaded")) {
    return expected.map((t) => fail(t, notLoaded(run, limits)));
  }
  const keyByIndex = new Map<number, string>();
  const seen = new Map<string, number>();
  const results = new Map<string, Extract<HarnessEvent, { e: "result" }>>();
  for (const ev of run.events) {
    if (ev.e === "test" && !keyByIndex.has(ev.i)) {
      const k = seen.get(ev.name) ?? 0;
      seen.set(ev.name, k + 1);
      keyByIndex.set(ev.i, keyOf(ev.name, k));
    }
    if (ev.e === "result") {
      const key = keyByIndex.get(ev.i);
      if (key && key.endsWith(`\u0000${ev.name}`) && !results.has(key)) results.set(key, ev);
    }
  }
  const started = new Set(keyByIndex.values());
  const counted = new Map<string, number>();
  return expected.map((t) => {
    const k = counted.get(t.name) ?? 0;
    counted.set(t.name, k + 1);
    const key = keyOf(t.name, k);
    const r = results.get(key);
    if (!r) return fail(t, unfinished(run, limits, started.has(key)));
    if (r.ok) {
      return { name: t.name, points: t.points, maxPoints: t.points, passed: true, feedback: null };
    }
    return fail(t, `${r.feedback ?? "falló"}${where(r.line, firstLine, codeLines)}`);
  });
}
