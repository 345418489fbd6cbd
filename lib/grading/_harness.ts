/**
 * Internal: the test harness that runs INSIDE the grading sandbox (a `deno run` with no
 * network, no writes, no subprocesses, no FFI, no environment). The grader copies this file
 * into the sandbox, replacing the three placeholders below, and runs it as the main module.
 *
 * It installs the registration function the exercise's `test(...)` calls use, imports the
 * exercise module (setup + the student's code + the tests), runs each registered test with a
 * time limit, and reports every step as one line on stdout: a per-run random nonce followed by
 * JSON. The submission cannot know the nonce (it cannot read this file), so printing fake
 * results does not work; and what the harness needs (stdout, JSON, timers) is captured before
 * the submission's code runs. Exiting early (Deno.exit, process.exit, close) throws instead.
 *
 * @module
 */
import { describeFailure, REGISTER_KEY, type TestFn } from "./checks.ts";
// Loaded here so that the exercise module's imports of it need no read permission (the
// exercise module itself is imported by a computed specifier, which does).
import "./fakes.ts";

const NONCE = "__NONCE__";
const MODULE = "__MODULE__";
const TEST_TIMEOUT_MS = Number("__TEST_TIMEOUT_MS__");

// Everything the harness uses, captured before the submission can replace it.
const writeOut = Deno.stdout.writeSync.bind(Deno.stdout);
const encoder = new TextEncoder();
const encode = encoder.encode.bind(encoder);
const stringify = JSON.stringify;
const subarray = Function.prototype.call.bind(Uint8Array.prototype.subarray) as (
  a: Uint8Array,
  start: number,
) => Uint8Array;
const realSetTimeout = setTimeout;
const realClearTimeout = clearTimeout;
const realExit = Deno.exit;
const describe = describeFailure;

function emit(event: Record<string, unknown>): void {
  let bytes: Uint8Array = encode(`\n${NONCE}${stringify(event)}\n`);
  while (bytes.length > 0) bytes = subarray(bytes, writeOut(bytes));
}

/** Thrown instead of ending the process. */
class ExitAttempt extends Error {
  override name = "SalidaBloqueada";
}
const blockExit = (how: string) => () => {
  throw new ExitAttempt(
    `tu código llamó a ${how}: una función de un ejercicio no debe terminar el programa ` +
      "(devuelve un valor o lanza un error).",
  );
};
Object.defineProperty(Deno, "exit", { value: blockExit("Deno.exit()"), configurable: false });
Object.defineProperty(globalThis, "close", { value: blockExit("close()"), configurable: false });
const proc = (globalThis as { process?: { exit?: unknown; abort?: unknown } }).process;
if (proc) {
  Object.defineProperty(proc, "exit", { value: blockExit("process.exit()") });
  Object.defineProperty(proc, "abort", { value: blockExit("process.abort()") });
}
// A promise the submission forgot, or an error in one of its timers, must not end the run.
globalThis.addEventListener("unhandledrejection", (e) => e.preventDefault());
globalThis.addEventListener("error", (e) => e.preventDefault());

interface Registered {
  name: string;
  points: number;
  fn: TestFn;
}
const tests: Registered[] = [];
const register = (name: string, points: number, fn: TestFn) => {
  tests[tests.length] = { name: String(name), points: Number(points), fn };
};
Object.defineProperty(globalThis, REGISTER_KEY, {
  value: register,
  writable: false,
  configurable: false,
});

/** Built-ins the checks rely on; a submission that replaces one could fake its results. */
function intrinsics(): unknown[] {
  const holders: object[] = [
    Math,
    JSON,
    Object,
    Object.prototype,
    Array,
    Array.prototype,
    String.prototype,
    Number,
    Number.prototype,
    Promise,
    Promise.prototype,
    Function.prototype,
    Reflect,
  ];
  const out: unknown[] = [];
  for (const holder of holders) {
    for (const key of Reflect.ownKeys(holder)) {
      const d = Reflect.getOwnPropertyDescriptor(holder, key);
      out.push(holder, key, d?.value, d?.get, d?.set);
    }
  }
  return out;
}
const before = intrinsics();
const same = Object.is;
function tampered(): boolean {
  try {
    const now = intrinsics();
    return now.length !== before.length || now.some((v, i) => !same(v, before[i]));
  } catch {
    return true;
  }
}

function withTimeout(fn: TestFn): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = realSetTimeout(
      () =>
        reject(
          new ExitAttempt(
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

emit({ e: "hello" });
let loaded = false;
try {
  await import(MODULE);
  loaded = true;
} catch (error) {
  emit({ e: "load-error", message: loadErrorText(error), line: lineOf(error) });
}
if (loaded) {
  emit({ e: "loaded", tests: tests.map((t) => ({ name: t.name, points: t.points })) });
  for (let i = 0; i < tests.length; i++) {
    emit({ e: "start", i });
    try {
      await withTimeout(tests[i].fn);
      emit({ e: "result", i, ok: true });
    } catch (error) {
      const feedback = error instanceof ExitAttempt ? error.message : describe(error);
      emit({ e: "result", i, ok: false, feedback, line: lineOf(error) });
    }
  }
  if (tampered()) emit({ e: "tampered" });
}
emit({ e: "done" });
realExit(0);

/** The first line of an error (a parse error's message goes on with a code snippet). */
function loadErrorText(error: unknown): string {
  if (error instanceof ExitAttempt) return error.message;
  if (!(error instanceof Error)) return describe(error);
  return `${error.name}: ${String(error.message).split("\n")[0]}`.slice(0, 500);
}

/** The line of the exercise module where an error was thrown or found, or null. */
function lineOf(error: unknown): number | null {
  if (!(error instanceof Error)) return null;
  const text = `${error.message}\n${error.stack ?? ""}`;
  const at = text.indexOf(`${MODULE}:`);
  if (at < 0) return null;
  const line = Number(text.slice(at + MODULE.length + 1).split(":")[0]);
  return Number.isInteger(line) ? line : null;
}
