/**
 * Stand-ins the exercises work against, so that exercise code runs without network: byte
 * streams cut where a network would cut them, the kit's one error type `KitError` (same name
 * and fields as lib/core/errors.ts), and a scripted fake backend.
 *
 * Self-contained on purpose (no imports): the grader copies this file into its sandbox.
 *
 * @module
 */

/**
 * A byte stream that delivers `pieces` one by one, as network chunks arrive: a string is
 * encoded as UTF-8, bytes are passed as they are (to cut a character in two).
 *
 * @example
 * ```ts
 * const body = streamOf(['{"response":"Ho', 'la"}\n']);
 * ```
 */
export function streamOf(pieces: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const queue = pieces.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = queue.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
}

/** Cuts a text into byte chunks of `size` bytes (characters may be cut in two). */
export function bytesInChunks(text: string, size: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

/**
 * What went wrong: the kinds of the kit's one error type (`KitErrorKind` in
 * lib/core/errors.ts, which tests/grading_fakes_test.ts keeps this list equal to).
 */
export type KitErrorKind =
  | "bad-request"
  | "unsupported"
  | "not-found"
  | "model-unavailable"
  | "too-big"
  | "missing-key"
  | "auth"
  | "forbidden"
  | "rate-limit"
  | "server-down"
  | "server"
  | "network"
  | "timeout"
  | "stream-cut"
  | "closed"
  | "forge"
  | "other";

/** Options of a {@link KitError}: everything but the message (as in lib/core/errors.ts). */
export interface KitErrorInit {
  /** Which of the four methods (1–4); null for the kit's own tools. */
  method?: 1 | 2 | 3 | 4 | null;
  kind?: KitErrorKind;
  /** HTTP status, when a server answered one. */
  status?: number;
  /** Whether trying again later can succeed (default: rate-limit, server, network, timeout). */
  retryable?: boolean;
  /** What to do next, in Spanish. */
  hint?: string;
  /** The server's own words. */
  serverMessage?: string;
  /** Seconds a service asked to wait (retry-after). */
  retryAfterS?: number;
  /** Rate-limit headers of the failed response. */
  rateLimits?: Record<string, string | number>;
  /** Model ids available now (for a retired or unknown model). */
  availableModels?: string[];
  /** Text received before a stream was cut. */
  partialText?: string;
  /** The underlying error. */
  cause?: unknown;
}

const RETRYABLE: ReadonlySet<KitErrorKind> = new Set([
  "rate-limit",
  "server",
  "network",
  "timeout",
]);

/**
 * The error every backend of the kit throws, with the same name and fields as the kit's own
 * `KitError` (lib/core/errors.ts): which method, what kind, the HTTP status, whether retrying
 * can help and the seconds a service asked to wait. A copy, because the grader's sandbox
 * imports nothing from the kit.
 *
 * @example
 * ```ts
 * const e = new KitError("Groq: límite alcanzado (429).", {
 *   method: 4,
 *   kind: "rate-limit",
 *   status: 429,
 *   retryAfterS: 2,
 * });
 * e.retryable; // true
 * ```
 */
export class KitError extends Error {
  override name = "KitError";
  /** Which method failed (null: not a method). */
  readonly method: 1 | 2 | 3 | 4 | null;
  readonly kind: KitErrorKind;
  readonly status?: number;
  readonly retryable: boolean;
  readonly hint?: string;
  readonly serverMessage?: string;
  readonly retryAfterS?: number;
  readonly rateLimits?: Record<string, string | number>;
  readonly availableModels?: string[];
  readonly partialText?: string;

  /** True when `error` is a KitError of this kind. */
  static is(error: unknown, kind: KitErrorKind): error is KitError {
    return error instanceof KitError && error.kind === kind;
  }

  /** Creates the error; `init.kind` defaults to "other". */
  constructor(message: string, init: KitErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.method = init.method ?? null;
    this.kind = init.kind ?? "other";
    this.status = init.status;
    this.retryable = init.retryable ?? RETRYABLE.has(this.kind);
    this.hint = init.hint;
    this.serverMessage = init.serverMessage;
    this.retryAfterS = init.retryAfterS;
    this.rateLimits = init.rateLimits;
    this.availableModels = init.availableModels;
    this.partialText = init.partialText;
  }
}

/** The part of a backend the error-handling exercise uses. */
export interface MiniBackend {
  readonly name: string;
  generate(prompt: string): Promise<{ text: string }>;
}

/** A fake backend that follows a script, and counts the calls it got. */
export interface FakeBackend extends MiniBackend {
  /** How many times generate() was called. */
  readonly calls: number;
}

/**
 * A backend whose n-th call to generate() answers the n-th entry of `script`: a string is
 * the generated text, an error is thrown. Calls past the end repeat the last entry.
 *
 * @example
 * ```ts
 * const b = fakeBackend([new KitError("429", { kind: "rate-limit", retryAfterS: 1 }), "hola"]);
 * ```
 */
export function fakeBackend(script: (string | unknown)[], name = "Groq (falso)"): FakeBackend {
  let calls = 0;
  // Frozen, as the errors it throws: the code under test cannot rewrite what the tests read.
  for (const step of script) if (typeof step === "object" && step !== null) Object.freeze(step);
  return Object.freeze({
    name,
    get calls() {
      return calls;
    },
    generate(_prompt: string) {
      const step = script[Math.min(calls, script.length - 1)];
      calls++;
      return typeof step === "string" ? Promise.resolve({ text: step }) : Promise.reject(step);
    },
  });
}

/**
 * A sleep that does not wait: records each requested pause (ms) so tests run instantly.
 *
 * @example
 * ```ts
 * const s = recordingSleep();
 * await s.sleep(500);
 * s.waits; // [500]
 * ```
 */
export function recordingSleep(): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return {
    waits,
    sleep(ms: number) {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}
