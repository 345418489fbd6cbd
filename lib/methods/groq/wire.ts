/**
 * Internal: Groq's wire format as the kit reads and writes it (the backend reads it through
 * groq-sdk, the offline server writes it). OpenAI-style chat completions plus Groq's own
 * parts: `x_groq` (request id, usage with timings in seconds), the `x-ratelimit-*` headers,
 * `retry-after` on 429, and error bodies `{"error": {message, type, code}}`.
 *
 * @module
 */

/** Path prefix of Groq's OpenAI-compatible API (groq-sdk appends it to the base URL). */
export const GROQ_API_PREFIX = "/openai/v1";

/** Header the kit's offline stand-in puts on every response (the real Groq never does). */
export const OFFLINE_HEADER = "x-kit-offline";

/** Usage as Groq reports it: token counts, and times in seconds. */
export interface GroqUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Seconds the request waited in Groq's queue. */
  queue_time?: number;
  /** Seconds spent on the prompt (prefill). */
  prompt_time?: number;
  /** Seconds spent generating the completion. */
  completion_time?: number;
  /** prompt_time + completion_time. */
  total_time?: number;
}

/** One entry of GET /openai/v1/models (Groq adds active, context_window, …). */
export interface GroqModelEntry {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  active?: boolean;
  context_window?: number;
  max_completion_tokens?: number;
}

/** An error body as Groq sends it. */
export interface GroqErrorBody {
  error: { message: string; type: string; code?: string };
}

/** What the x-ratelimit-* headers (and retry-after) say. Absent headers stay undefined. */
export interface RateLimits {
  /** x-ratelimit-limit-requests: requests per day (RPD). */
  limitRequests?: number;
  /** x-ratelimit-remaining-requests: requests left today. */
  remainingRequests?: number;
  /** x-ratelimit-reset-requests in seconds. */
  resetRequestsS?: number;
  /** x-ratelimit-limit-tokens: tokens per minute (TPM). */
  limitTokens?: number;
  /** x-ratelimit-remaining-tokens: tokens left this minute. */
  remainingTokens?: number;
  /** x-ratelimit-reset-tokens in seconds. */
  resetTokensS?: number;
  /** retry-after in seconds (only on 429). */
  retryAfterS?: number;
}

/** The rate-limit header names, as Groq sends them. */
export const RATE_LIMIT_HEADERS = {
  limitRequests: "x-ratelimit-limit-requests",
  remainingRequests: "x-ratelimit-remaining-requests",
  resetRequests: "x-ratelimit-reset-requests",
  limitTokens: "x-ratelimit-limit-tokens",
  remainingTokens: "x-ratelimit-remaining-tokens",
  resetTokens: "x-ratelimit-reset-tokens",
  retryAfter: "retry-after",
} as const;

const UNIT_S: Record<string, number> = {
  h: 3600,
  m: 60,
  s: 1,
  ms: 1e-3,
  us: 1e-6,
  "µs": 1e-6,
  ns: 1e-9,
};

/**
 * Parses a Go-style duration as Groq writes it in x-ratelimit-reset-* ("2m59.56s", "7.66s",
 * "120ms", "1h2m") into seconds; a bare number is taken as seconds. NaN when unreadable.
 *
 * @example
 * ```ts
 * parseGoDuration("2m59.56s"); // 179.56
 * ```
 */
export function parseGoDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (const m of t.matchAll(re)) {
    total += Number(m[1]) * UNIT_S[m[2]];
    matched += m[0].length;
  }
  return matched === t.length && matched > 0 ? total : NaN;
}

/**
 * Formats seconds the way Groq's reset headers do ("2m59.56s", "7.66s", "0.2s"), for the
 * offline server's headers.
 *
 * @example
 * ```ts
 * formatGoDuration(179.56); // "2m59.56s"
 * ```
 */
export function formatGoDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = Number((s % 60).toFixed(2));
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${rest}s`;
}

/**
 * Parses retry-after: seconds (integer or decimal) or an HTTP date. Undefined when absent or
 * unreadable; never negative.
 *
 * @example
 * ```ts
 * parseRetryAfter("5"); // 5
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const n = Number(value.trim());
  if (Number.isFinite(n)) return Math.max(0, n);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

/** Anything with a case-insensitive `get` (Headers, or groq-sdk's error headers). */
export interface HeaderLike {
  get(name: string): string | null;
}

/**
 * Reads the x-ratelimit-* headers and retry-after from a response. Null when none is there
 * (e.g. a response that did not come from Groq).
 *
 * @example
 * ```ts
 * parseRateLimits(new Headers({ "x-ratelimit-remaining-tokens": "5800" }))?.remainingTokens; // 5800
 * ```
 */
export function parseRateLimits(headers: HeaderLike | undefined | null): RateLimits | null {
  if (!headers || typeof headers.get !== "function") return null;
  const num = (name: string) => {
    const v = headers.get(name);
    const n = v === null ? NaN : Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  };
  const dur = (name: string) => {
    const v = headers.get(name);
    const n = v === null ? NaN : parseGoDuration(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const h = RATE_LIMIT_HEADERS;
  const limits: RateLimits = {
    limitRequests: num(h.limitRequests),
    remainingRequests: num(h.remainingRequests),
    resetRequestsS: dur(h.resetRequests),
    limitTokens: num(h.limitTokens),
    remainingTokens: num(h.remainingTokens),
    resetTokensS: dur(h.resetTokens),
    retryAfterS: parseRetryAfter(headers.get(h.retryAfter)),
  };
  for (const key of Object.keys(limits) as (keyof RateLimits)[]) {
    if (limits[key] === undefined) delete limits[key];
  }
  return Object.keys(limits).length ? limits : null;
}

/**
 * Seconds in Spanish for a student: "7.7 s", "2 min 59.6 s", "1 h 2 min".
 *
 * @example
 * ```ts
 * formatSeconds(179.56); // "2 min 59.6 s"
 * ```
 */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${Number(s.toFixed(1))} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = Number((s % 60).toFixed(1));
  return [h ? `${h} h` : "", m ? `${m} min` : "", rest ? `${rest} s` : ""].filter(Boolean)
    .join(" ");
}

/**
 * The rate limits in one Spanish sentence: what is left of the daily requests and of the
 * tokens per minute, and when each renews.
 *
 * @example
 * ```ts
 * describeRateLimits({ limitRequests: 1000, remainingRequests: 998 });
 * // "peticiones hoy: quedan 998 de 1000"
 * ```
 */
export function describeRateLimits(limits: RateLimits | null | undefined): string {
  if (!limits) return "el servidor no envió cabeceras x-ratelimit-*";
  const parts: string[] = [];
  const part = (label: string, left?: number, limit?: number, resetS?: number) => {
    if (left === undefined && limit === undefined) return;
    let text = `${label}: quedan ${left ?? "?"}${limit !== undefined ? ` de ${limit}` : ""}`;
    if (resetS !== undefined) text += ` (se renuevan en ${formatSeconds(resetS)})`;
    parts.push(text);
  };
  part("peticiones hoy", limits.remainingRequests, limits.limitRequests, limits.resetRequestsS);
  part("tokens este minuto", limits.remainingTokens, limits.limitTokens, limits.resetTokensS);
  return parts.length ? parts.join("; ") : "el servidor no envió cabeceras x-ratelimit-*";
}

/**
 * Groq's own timings from `usage` (seconds) as milliseconds, named for the kit's
 * `serviceTimings`: queueMs, promptMs, completionMs, totalMs.
 *
 * @example
 * ```ts
 * serviceTimingsMs({ prompt_tokens: 5, completion_tokens: 9, total_tokens: 14, queue_time: 0.01 });
 * // { queueMs: 10 }
 * ```
 */
export function serviceTimingsMs(usage: GroqUsage | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!usage) return out;
  const put = (key: string, seconds: number | undefined) => {
    if (typeof seconds === "number" && Number.isFinite(seconds)) out[key] = seconds * 1000;
  };
  put("queueMs", usage.queue_time);
  put("promptMs", usage.prompt_time);
  put("completionMs", usage.completion_time);
  put("totalMs", usage.total_time);
  return out;
}
