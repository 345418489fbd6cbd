/**
 * Stand-ins the exercises work against, so that exercise code runs without network: byte
 * streams cut where a network would cut them, the error classes of the Ollama and Groq
 * backends (same names and fields as `lib/backends/ollama.ts` and `_groq_errors.ts`), and a
 * scripted fake backend.
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

/** What went wrong talking to Ollama (as in lib/backends/ollama.ts). */
export type OllamaErrorKind = "server_down" | "not_found" | "server" | "stream";

/** The Ollama backend's error: its kind, a Spanish message and the HTTP status. */
export class OllamaError extends Error {
  /**
   * @param kind what went wrong
   * @param message a Spanish explanation
   * @param status the HTTP status, when there was one
   */
  constructor(readonly kind: OllamaErrorKind, message: string, readonly status?: number) {
    super(message);
    this.name = "OllamaError";
  }
}

/** What went wrong talking to Groq (as in lib/backends/_groq_errors.ts). */
export type GroqErrorKind =
  | "missing-key"
  | "auth"
  | "forbidden"
  | "rate-limit"
  | "model-unavailable"
  | "bad-request"
  | "server"
  | "network"
  | "timeout"
  | "stream-cut";

/** The Groq backend's error: kind, status, retry-after and whether retrying can help. */
export class GroqKitError extends Error {
  override name = "GroqKitError";
  /** Whether trying again later can succeed (429, 5xx, network). */
  readonly retryable: boolean;
  /**
   * @param kind what went wrong
   * @param message a Spanish explanation
   * @param extra HTTP status and the seconds Groq asked to wait (retry-after)
   */
  constructor(
    readonly kind: GroqErrorKind,
    message: string,
    readonly extra: { status?: number; retryAfterS?: number } = {},
  ) {
    super(message);
    this.retryable = kind === "rate-limit" || kind === "server" || kind === "network";
  }
  /** HTTP status, when there was a response. */
  get status(): number | undefined {
    return this.extra.status;
  }
  /** Seconds Groq asked to wait, on 429. */
  get retryAfterS(): number | undefined {
    return this.extra.retryAfterS;
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
 * const b = fakeBackend([new GroqKitError("rate-limit", "429", { retryAfterS: 1 }), "hola"]);
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
