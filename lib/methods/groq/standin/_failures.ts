/**
 * Internal: the failures the offline Groq server can imitate (a bad key, 429 with retry-after,
 * 5xx, a retired model, a slow answer, a disconnect mid-stream), the queue they wait in, and
 * the error responses Groq would send for them.
 *
 * @module
 */
import { RATE_LIMIT_HEADERS } from "../wire.ts";
import type { RateLimiter } from "./_limits.ts";
import { errorBody, invalidKey, json } from "./_replies.ts";

/** A failure the server can imitate. `times` (default 1) says for how many requests. */
export type GroqFailure =
  & { times?: number }
  & (
    | { kind: "unauthorized" }
    | { kind: "rate-limit"; retryAfterS?: number; limit?: "tokens" | "requests" }
    | { kind: "server-error"; status?: 500 | 502 | 503 }
    | { kind: "retired" }
    | { kind: "slow"; delayMs: number }
    | { kind: "disconnect"; afterChunks?: number }
  );

/** Failures waiting to be applied, first in first out. */
export class FailureQueue {
  readonly #pending: GroqFailure[];

  /** A queue holding `initial`, in order. */
  constructor(initial: GroqFailure[] = []) {
    this.#pending = [...initial];
  }

  /** How many failures are queued (one with `times` > 1 counts once). */
  get length(): number {
    return this.#pending.length;
  }

  /** Replaces the queue with `f` (null empties it). */
  set(f: GroqFailure | GroqFailure[] | null): void {
    this.#pending.length = 0;
    if (f) this.#pending.push(...(Array.isArray(f) ? f : [f]));
  }

  /** Takes the failure that applies to a request for `path`, if any (one of its `times`). */
  take(path: string): GroqFailure | undefined {
    const f = this.#pending[0];
    if (!f) return undefined;
    // A bad key fails every endpoint; the other failures are for chat completions.
    if (f.kind !== "unauthorized" && !path.endsWith("/chat/completions")) return undefined;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) this.#pending.shift();
    else this.#pending[0] = { ...f, times: left };
    return f;
  }
}

/**
 * The response Groq would send for failure `f` on `modelId`, or null for the failures that
 * are not a plain error response (retired, slow, disconnect: the chat handler applies those).
 */
export function failureResponse(
  f: GroqFailure,
  modelId: string,
  limits: RateLimiter,
): Response | null {
  switch (f.kind) {
    case "unauthorized":
      return invalidKey();
    case "rate-limit": {
      const retryAfterS = f.retryAfterS ?? 1;
      const over = f.limit ?? "tokens";
      const { tokensPerMinute, requestsPerDay } = limits;
      const what = over === "tokens"
        ? `tokens per minute (TPM): Limit ${tokensPerMinute}, Used ${tokensPerMinute}, Requested 100`
        : `requests per day (RPD): Limit ${requestsPerDay}, Used ${requestsPerDay}, Requested 1`;
      return json(
        429,
        errorBody(
          `Rate limit reached for model \`${modelId}\` in organization \`org_kit_offline\` ` +
            `service tier \`on_demand\` on ${what}. Please try again in ${retryAfterS}s. ` +
            "(simulated by the kit's offline server)",
          over,
          "rate_limit_exceeded",
        ),
        { ...limits.headers(over), [RATE_LIMIT_HEADERS.retryAfter]: String(retryAfterS) },
      );
    }
    case "server-error": {
      const status = f.status ?? 500;
      const text = status === 503
        ? "Service Unavailable"
        : status === 502
        ? "Bad Gateway"
        : "Internal Server Error";
      return json(
        status,
        errorBody(`${text} (simulated by the kit's offline server)`, "internal_server_error"),
      );
    }
    default:
      return null;
  }
}

/** Waits `ms`, or less if `stop` aborts first (the server is closing). */
export function pause(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(finish, ms);
    stop.addEventListener("abort", finish, { once: true });
    function finish() {
      clearTimeout(timer);
      stop.removeEventListener("abort", finish);
      resolve();
    }
  });
}
