/**
 * Internal: the offline Groq server's rate limits — requests per day and tokens per minute,
 * announced in Groq's x-ratelimit-* headers and enforced with a real 429.
 *
 * @module
 */
import { formatGoDuration, RATE_LIMIT_HEADERS } from "../wire.ts";

const DAY_S = 86_400;
const MINUTE_MS = 60_000;

/** Which limit a request ran into, and how long (s) to wait before the next one. */
export interface LimitHit {
  over: "tokens" | "requests";
  retryAfterS: number;
}

/** The counters behind one server's limits. */
export class RateLimiter {
  readonly #startedAt = Date.now();
  #requestsToday = 0;
  #tokenLog: { at: number; tokens: number }[] = [];

  /** Limits to announce and enforce. */
  constructor(readonly requestsPerDay: number, readonly tokensPerMinute: number) {}

  #tokensThisMinute(now: number): number {
    this.#tokenLog = this.#tokenLog.filter((t) => now - t.at < MINUTE_MS);
    return this.#tokenLog.reduce((s, t) => s + t.tokens, 0);
  }

  /** The x-ratelimit-* headers now; `over` reports that limit as used up. */
  headers(over?: "tokens" | "requests"): Record<string, string> {
    const now = Date.now();
    const used = this.#tokensThisMinute(now);
    const resetTokensS = this.#tokenLog.length
      ? (MINUTE_MS - (now - this.#tokenLog[0].at)) / 1000
      : 0;
    const resetRequestsS = DAY_S - ((now - this.#startedAt) / 1000) % DAY_S;
    const h = RATE_LIMIT_HEADERS;
    return {
      [h.limitRequests]: String(this.requestsPerDay),
      [h.remainingRequests]: String(
        over === "requests" ? 0 : Math.max(0, this.requestsPerDay - this.#requestsToday),
      ),
      [h.resetRequests]: formatGoDuration(resetRequestsS),
      [h.limitTokens]: String(this.tokensPerMinute),
      [h.remainingTokens]: String(
        over === "tokens" ? 0 : Math.max(0, this.tokensPerMinute - used),
      ),
      [h.resetTokens]: formatGoDuration(resetTokensS),
    };
  }

  /** The limit a new request would exceed now, or null when it may go ahead. */
  exceeded(): LimitHit | null {
    const now = Date.now();
    if (this.#requestsToday >= this.requestsPerDay) {
      return { over: "requests", retryAfterS: DAY_S };
    }
    if (this.#tokensThisMinute(now) >= this.tokensPerMinute) {
      const wait = (MINUTE_MS - (now - this.#tokenLog[0].at)) / 1000;
      return { over: "tokens", retryAfterS: Math.ceil(wait) };
    }
    return null;
  }

  /** Counts one accepted request against the daily limit. */
  countRequest(): void {
    this.#requestsToday += 1;
  }

  /** Counts the tokens of one finished completion against the per-minute limit. */
  countTokens(tokens: number): void {
    this.#tokenLog.push({ at: Date.now(), tokens });
  }
}
