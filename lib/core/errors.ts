/**
 * The kit's one error type. Every backend (and the code behind it) throws a {@link KitError}
 * whose message is Spanish and says what to do; callers need one `catch`.
 *
 * @module
 */

/** What went wrong, across the four methods and the kit's tools. */
export type KitErrorKind =
  /** The request was refused before generating (empty prompt, bad maxTokens, too long…). */
  | "bad-request"
  /** A dtype, device or option the model or machine cannot use. */
  | "unsupported"
  /** A model name the kit or the service does not know. */
  | "not-found"
  /** A model that exists but is retired, gated or not available to this key. */
  | "model-unavailable"
  /** It would not fit in memory. */
  | "too-big"
  /** No key or token where one is needed. */
  | "missing-key"
  /** A wrong key or token (401). */
  | "auth"
  /** The key has no access to this (403). */
  | "forbidden"
  /** The service asked to slow down (429). */
  | "rate-limit"
  /** The service is not running or not reachable. */
  | "server-down"
  /** The service answered with an error of its own (5xx, unexpected body). */
  | "server"
  /** The network failed on the way. */
  | "network"
  /** A call ran past its time limit. */
  | "timeout"
  /** A stream ended in the middle. */
  | "stream-cut"
  /** The backend was already closed. */
  | "closed"
  /** The forge could not build or verify a model. */
  | "forge"
  /** Anything else the kit explains in its message. */
  | "other";

/** Options of a {@link KitError}: everything but the message. */
export interface KitErrorInit {
  /** Which of the four methods (1–4); null for the kit's own tools (forge, set-up…). */
  method?: 1 | 2 | 3 | 4 | null;
  kind?: KitErrorKind;
  /** HTTP status, when a server answered one. */
  status?: number;
  /** Whether trying again later can succeed (default: rate-limit, server, network, timeout). */
  retryable?: boolean;
  /** What to do next, in Spanish (also part of the message). */
  hint?: string;
  /** The server's own words, already free of secrets. */
  serverMessage?: string;
  /** Seconds a service asked to wait (retry-after). */
  retryAfterS?: number;
  /** Rate-limit headers of the failed response (Groq's x-ratelimit-*). */
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
 * A failure with a Spanish message a student can act on. Carries no request data or secrets.
 *
 * @example
 * ```ts
 * try {
 *   await backend.generate("");
 * } catch (e) {
 *   if (e instanceof KitError && e.kind === "bad-request") console.log(e.message);
 * }
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
