/**
 * The checks exercise notebooks use: `test(name, points, fn)` and assertions whose messages
 * are Spanish feedback for the student ("se esperaba … y se obtuvo …").
 *
 * In a notebook a test runs at once and prints ✅ or ❌ with its feedback, without throwing
 * (so an unfinished notebook still runs to the end). Under the autograder the tests' block
 * gets its own `test` (a registration capability only that block can take, see `_harness.ts`),
 * so this one is never the one that counts: a submission that calls it only prints.
 *
 * Self-contained on purpose (no imports): the grader copies this file into its sandbox.
 *
 * @module
 */

/** A test body: returns (or resolves) when the check passes, throws when it fails. */
export type TestFn = () => unknown;

/** Thrown by the stub that replaces a solution in the student notebooks. */
export class NotImplementedError extends Error {
  override name = "SinImplementar";
  /** @param what the function the student has to write */
  constructor(readonly what: string) {
    super(
      `sin implementar: escribe tu solución en ${what} (sustituye la línea del throw) y ` +
        "vuelve a ejecutar la celda.",
    );
  }
}

/** A failed check; its message is the feedback the student reads. */
export class CheckFailure extends Error {
  override name = "FalloDePrueba";
}

/** Spanish hints for Deno's permission errors ("Requires net access to …"). */
const PERMISSION_HINTS: [RegExp, string][] = [
  [/\bnet access\b/, "usar la red"],
  [/\bwrite access\b/, "escribir o borrar archivos"],
  [/\bread access\b/, "leer archivos"],
  [/\benv access\b/, "leer variables de entorno"],
  [/\brun access\b/, "ejecutar otros programas"],
  [/\bffi access\b/, "cargar bibliotecas nativas (FFI)"],
  [/\bsys access\b/, "leer información del sistema"],
  [/\bimport access\b/, "importar módulos de internet"],
];

/** What a Deno permission error ("Requires net access to …") says the code tried, in Spanish. */
export function attemptedAction(message: string): string {
  return PERMISSION_HINTS.find(([re]) => re.test(message))?.[1] ?? "hacer algo";
}

/**
 * Turns whatever a test threw into feedback for the student: a failed check's own message,
 * the "sin implementar" stub, a forbidden operation, or the error the student's code threw.
 *
 * @example
 * ```ts
 * describeFailure(new CheckFailure("se esperaba 2 y se obtuvo 3")); // "se esperaba 2 y se obtuvo 3"
 * ```
 */
export function describeFailure(error: unknown): string {
  if (error instanceof CheckFailure || error instanceof NotImplementedError) return error.message;
  if (error instanceof Error) {
    const name = error.name;
    const message = String(error.message).split("\n")[0].slice(0, 300);
    if (name === "NotCapable" || name === "PermissionDenied") {
      return `tu código intentó ${attemptedAction(message)}, y eso no está permitido en los ` +
        `ejercicios (${message}).`;
    }
    return `tu código lanzó un error: ${name}: ${message}`;
  }
  return `tu código lanzó algo que no es un Error: ${show(error)}`;
}

/**
 * A short, readable rendering of a value for feedback (JSON where possible, cut at 200
 * characters).
 *
 * @example
 * ```ts
 * show({ a: 1 }); // '{"a":1}'
 * ```
 */
export function show(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "una función";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * Runs a test worth `points` now and prints ✅ or ❌ with its feedback (never throws). Under
 * the autograder the tests' block gets the harness's own `test` instead (see the module doc).
 *
 * @example
 * ```ts
 * await test("suma: 2 + 2", 1, () => assertEqual(2 + 2, 4, "2 + 2"));
 * ```
 */
export async function test(name: string, points: number, fn: TestFn): Promise<void> {
  const unit = points === 1 ? "punto" : "puntos";
  try {
    await fn();
    console.log(`✅ ${name} (${points}/${points} ${unit})`);
  } catch (error) {
    console.log(`❌ ${name} (0/${points} ${unit}): ${describeFailure(error)}`);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

/**
 * Fails unless `actual` equals `expected` (deeply for arrays and plain objects; properties
 * holding `undefined` count as absent).
 *
 * @example
 * ```ts
 * assertEqual([1, 2], [1, 2], "la lista");
 * ```
 */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected)) {
    throw new CheckFailure(`${what}: se esperaba ${show(expected)} y se obtuvo ${show(actual)}.`);
  }
}

/**
 * Fails unless `actual` is a number within `relTol` (relative) of `expected`.
 *
 * @example
 * ```ts
 * assertClose(0.1 + 0.2, 0.3, "0.1 + 0.2");
 * ```
 */
export function assertClose(actual: unknown, expected: number, what: string, relTol = 1e-6): void {
  if (typeof actual !== "number" || Number.isNaN(actual)) {
    throw new CheckFailure(
      `${what}: se esperaba el número ${expected} y se obtuvo ${show(actual)}.`,
    );
  }
  if (Math.abs(actual - expected) > relTol * Math.max(1, Math.abs(expected))) {
    throw new CheckFailure(`${what}: se esperaba ${expected} y se obtuvo ${actual}.`);
  }
}

/**
 * Fails unless `condition` holds; `message` is the feedback.
 *
 * @example
 * ```ts
 * assertTrue(1 < 2, "1 debería ser menor que 2");
 * ```
 */
export function assertTrue(condition: unknown, message: string): void {
  if (!condition) throw new CheckFailure(message);
}

/**
 * Fails unless calling `fn` throws (or rejects) an error that passes `check`. Returns the
 * error. A "sin implementar" stub or a forbidden operation is reported as such, not as a
 * wrong error.
 *
 * @example
 * ```ts
 * await assertRejects(() => JSON.parse("{"), "JSON roto", (e) => e instanceof SyntaxError);
 * ```
 */
export async function assertRejects(
  fn: () => unknown,
  what: string,
  check: (error: unknown) => boolean = () => true,
): Promise<unknown> {
  let result: unknown;
  try {
    result = await fn();
  } catch (error) {
    const forbidden = error instanceof Error &&
      (error.name === "NotCapable" || error.name === "PermissionDenied");
    if (error instanceof NotImplementedError || forbidden) throw error;
    if (!check(error)) {
      throw new CheckFailure(
        `${what}: lanzó un error distinto del esperado: ${show(errorText(error))}.`,
      );
    }
    return error;
  }
  throw new CheckFailure(`${what}: se esperaba que lanzara un error y devolvió ${show(result)}.`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
