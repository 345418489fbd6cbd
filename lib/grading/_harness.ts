/**
 * Internal: the test harness that runs INSIDE the grading sandbox (a `deno run` with no
 * network, no writes, no subprocesses, no FFI, no environment, reads only of the exercise
 * data, and an OS limit on its memory). The grader copies this file into the sandbox,
 * replacing the placeholders below, and runs it as the main module.
 *
 * Before the submission's code runs, the harness:
 * - captures what it needs to report (stdout, JSON, timers);
 * - turns the exits (Deno.exit, close) and `Worker` into errors, and removes Node's `process`
 *   and Web Storage;
 * - freezes every JavaScript intrinsic with SES `lockdown()` (Hardened JavaScript: Object,
 *   Array, JSON, Promise, Error… and their prototypes can no longer be changed), then
 *   `harden()`s every global (Deno, TextEncoder, DOMException…) and the checks and fakes the
 *   tests use, and makes every global property read-only.
 * - installs, under a random global name, the ONE-SHOT registration capability: the first
 *   call returns the register function and every later call throws. The grader puts that call
 *   at the start of the block that holds the tests (after the student's code, which the grader
 *   checked is a complete program on its own), so the tests get it and the submission cannot:
 *   a submission that takes it first makes the tests' call throw, and the exercise scores 0.
 *   The block ends with the same function called with "end"; a module that finishes without
 *   reaching it (the tests never ran) scores 0 too.
 *
 * It then imports the exercise module (a literal specifier: no read permission on it is
 * needed, so the submission cannot read the tests), runs each registered test with a time
 * limit, and reports every step as one line on stdout: a per-run random nonce followed by
 * JSON built only from strings and numbers. The submission cannot know the nonce (it cannot
 * read this file), so printing fake results does not work.
 *
 * @module
 */
import "ses";
import * as checks from "./checks.ts";
import * as fakes from "./fakes.ts";

const NONCE = "__NONCE__";
const TAKE = "__TAKE__";
const TEST_TIMEOUT_MS = Number("__TEST_TIMEOUT_MS__");
/** The exercise module; the sandbox's copy imports it by a literal specifier instead. */
const MODULE_URL = "__MODULE__";

// Everything the harness uses, captured before the submission can touch anything.
const writeOut = Deno.stdout.writeSync.bind(Deno.stdout);
const encoder = new TextEncoder();
const encode = encoder.encode.bind(encoder);
const stringify = JSON.stringify;
const realSetTimeout = setTimeout;
const realClearTimeout = clearTimeout;
const realExit = Deno.exit;
const { describeFailure, NotImplementedError } = checks;

function emit(event: Record<string, string | number | boolean | null>): void {
  let bytes: Uint8Array = encode(`\n${NONCE}${stringify(event)}\n`);
  while (bytes.length > 0) bytes = bytes.subarray(writeOut(bytes));
}

/** Thrown instead of ending the process or starting a Worker. */
class Blocked extends Error {
  override name = "Bloqueado";
}
const block = (message: string) => () => {
  throw new Blocked(message);
};
const exitText = (how: string) =>
  `tu código llamó a ${how}: una función de un ejercicio no debe terminar el programa ` +
  "(devuelve un valor o lanza un error).";
Object.defineProperty(Deno, "exit", { value: block(exitText("Deno.exit()")) });
Object.defineProperty(globalThis, "close", { value: block(exitText("close()")) });
// Node's `process` (its env is a proxy behind a permission) and Web Storage (proxies that
// cannot be frozen) are not for exercises: they are removed.
for (const name of ["process", "localStorage", "sessionStorage"]) {
  Object.defineProperty(globalThis, name, { value: undefined, configurable: true });
}
Object.defineProperty(globalThis, "Worker", {
  value: class Worker {
    constructor() {
      throw new Blocked(
        "tu código intentó crear un Worker (otro hilo): no está permitido en la corrección.",
      );
    }
  },
});
// A promise the submission forgot, or an error in one of its timers, must not end the run.
globalThis.addEventListener("unhandledrejection", (e) => e.preventDefault());
globalThis.addEventListener("error", (e) => e.preventDefault());

interface Registered {
  name: string;
  points: number;
  fn: () => unknown;
}
const tests: Registered[] = [];
const STOLEN = "tu código usó el registro de pruebas del corrector; no está permitido (las " +
  "pruebas no se han podido ejecutar).";
type Phase = "waiting" | "tests" | "ended" | "broken";
let phase = "waiting" as Phase;
const register = (name: string, points: number, fn: () => unknown) => {
  if (phase !== "tests") throw new Blocked("registro de pruebas fuera de su bloque");
  tests.push({ name: String(name), points: Number(points), fn });
};
/** The one-shot capability: "begin" once (returns register), then "end" once. */
function take(step?: string) {
  if (step === "end" && phase === "tests") {
    phase = "ended";
    return undefined;
  }
  if (step === undefined && phase === "waiting") {
    phase = "tests";
    return register;
  }
  phase = "broken";
  throw new Blocked(STOLEN);
}
Object.defineProperty(globalThis, TAKE, { value: take });

// Freeze the world: the intrinsics (SES), then every global and the checks and fakes.
const ses = globalThis as unknown as {
  lockdown: (options: Record<string, string>) => void;
  harden: <T>(x: T) => T;
};
for (const key of Reflect.ownKeys(globalThis)) {
  try { // touch Deno's lazily loaded globals (ReadableStream…) so they load before freezing
    void (globalThis as Record<PropertyKey, unknown>)[key];
  } catch { /* a getter that throws stays as it is */ }
}
ses.lockdown({
  errorTaming: "unsafe", // keep stack traces: they point the student at the line
  consoleTaming: "unsafe",
  overrideTaming: "severe",
  stackFiltering: "verbose",
  errorTrapping: "none",
  unhandledRejectionTrapping: "none",
  reporting: "none",
});
for (const value of [...Object.values(checks), ...Object.values(fakes)]) ses.harden(value);
/** Hardens every property of `holder`, the values its getters return included. */
function hardenProperties(holder: object): void {
  for (const key of Reflect.ownKeys(holder)) {
    const d = Reflect.getOwnPropertyDescriptor(holder, key)!;
    let value: unknown = d.value;
    if (d.get) {
      ses.harden(d.get);
      if (d.set) ses.harden(d.set);
      try { // a lazy global (ReadableStream…): what its getter returns must be frozen too
        value = Reflect.get(holder, key);
      } catch { /* a getter that throws */ }
    }
    if ((typeof value === "object" || typeof value === "function") && value !== globalThis) {
      ses.harden(value);
    }
    if (d.configurable) {
      Object.defineProperty(
        holder,
        key,
        "value" in d ? { writable: false, configurable: false } : { configurable: false },
      );
    }
  }
}
try {
  hardenProperties(Deno);
  hardenProperties(globalThis);
} catch (error) { // never run a submission in a world that is not frozen
  Deno.stderr.writeSync(encode(`el arnés no pudo congelar los globales: ${error}\n`));
  realExit(70);
}

function withTimeout(fn: () => unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = realSetTimeout(
      () =>
        reject(
          new Blocked(
            `la prueba no terminó en ${TEST_TIMEOUT_MS / 1000} s: ¿un bucle que no acaba o ` +
              "una promesa que nunca se resuelve?",
          ),
        ),
      TEST_TIMEOUT_MS,
    );
    Promise.resolve().then(fn).then(
      (v) => {
        realClearTimeout(timer);
        resolve(v);
      },
      (e) => {
        realClearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Feedback for what a test threw; never lets the submission's getters break the harness. */
function feedbackOf(error: unknown): string {
  try {
    if (error instanceof Blocked) return error.message;
    if (error instanceof NotImplementedError) {
      return `sin implementar: escribe tu solución en ${error.what} (tu entrega aún lanza ` +
        "el error de ejemplo).";
    }
    if (error instanceof RangeError && /allocation failed|Unable to grow/.test(error.message)) {
      return `tu código agotó la memoria permitida (${error.message.slice(0, 120)}).`;
    }
    return String(frozenHint(error) ?? describeFailure(error));
  } catch {
    return "tu código lanzó un error que no se puede mostrar.";
  }
}

/** Spanish text for a TypeError raised by changing a frozen object, or null. */
function frozenHint(error: unknown): string | null {
  if (!(error instanceof TypeError)) return null;
  const message = String(error.message);
  if (!/read.only|not extensible|Cannot (assign|add|define|redefine|delete)/.test(message)) {
    return null;
  }
  return "tu código intentó modificar un objeto de JavaScript o de Deno (Math, JSON, " +
    `Array, los globales…), y en la corrección están congelados: ${message.slice(0, 200)}`;
}

emit({ e: "hello" });
let loaded = false;
try {
  await import(MODULE_URL);
  loaded = true;
} catch (error) {
  emit({ e: "load-error", message: loadErrorText(error), line: lineOf(error) });
}
if (loaded && phase !== "ended") {
  emit({
    e: "load-error",
    message: phase === "broken"
      ? STOLEN
      : "las pruebas no llegaron a ejecutarse: ¿tu celda deja algo sin cerrar?",
    line: null,
  });
  loaded = false;
}
if (loaded) {
  emit({ e: "loaded", count: tests.length });
  for (let i = 0; i < tests.length; i++) {
    const name = tests[i].name;
    emit({ e: "test", i, name, points: tests[i].points });
    try {
      await withTimeout(tests[i].fn);
      emit({ e: "result", i, name, ok: true });
    } catch (error) {
      emit({ e: "result", i, name, ok: false, feedback: feedbackOf(error), line: lineOf(error) });
    }
  }
}
emit({ e: "done" });
realExit(0);

/** The first line of an error (a parse error's message goes on with a code snippet). */
function loadErrorText(error: unknown): string {
  try {
    if (error instanceof Blocked) return error.message;
    const hint = frozenHint(error);
    if (hint) return hint;
    if (!(error instanceof Error)) return describeFailure(error);
    return `${error.name}: ${String(error.message).split("\n")[0]}`.slice(0, 500);
  } catch {
    return "tu celda lanzó un error que no se puede mostrar.";
  }
}

/** The line of the exercise module where an error was thrown or found, or null. */
function lineOf(error: unknown): number | null {
  try {
    if (!(error instanceof Error)) return null;
    // Deno writes file:///…/_exercise.ts:L:C; SES's stack writes the path alone.
    const text = `${error.message}\n${error.stack ?? ""}`;
    const line = Number(/\/alumno\/_exercise\.ts:(\d+):/.exec(text)?.[1]);
    return Number.isInteger(line) && line > 0 ? line : null;
  } catch {
    return null;
  }
}
