/**
 * The Groq backend's options and its interface (the common Backend plus a cloud API's parts).
 *
 * @module
 */
import type { Backend } from "../../core/types.ts";
import type { GroqModelEntry, RateLimits } from "./wire.ts";

/** Options for {@link groqBackend}. Every field is optional. */
export interface GroqOptions {
  /** The key (default: {@link findGroqKey}). */
  apiKey?: string;
  /** API base URL (default GROQ_BASE_URL, else https://api.groq.com). */
  baseURL?: string;
  /** Model id (default GROQ_MODEL, else chosen from the models Groq lists now). */
  model?: string;
  /** Retries on 429 / 5xx / connection failures before the first token (default 2). */
  maxRetries?: number;
  /** Longest retry-after the backend waits for by itself, in s (default 30). */
  maxRetryWaitS?: number;
  /** Time limit for a response's headers, in ms (default 30 000). */
  requestTimeoutMs?: number;
  /** Where Spanish notices go (retries, waits). Default console.log. */
  notify?: (message: string) => void;
}

/** The Groq backend: the common {@link Backend} plus what is particular to a cloud API. */
export interface GroqBackend extends Backend {
  /** Model id in use. */
  readonly model: string;
  /** Why this model (Spanish). */
  readonly modelChoice: string;
  /** Base URL the client talks to. */
  readonly baseURL: string;
  /** Masked key, e.g. "gsk_•••• (56 caracteres)". */
  readonly maskedKey: string;
  /** Chat models listed when the backend was made. */
  readonly models: GroqModelEntry[];
  /** Rate limits read from the latest response (null before any). */
  readonly rateLimits: RateLimits | null;
  /** Lists the models Groq serves now. */
  listModels(opts?: { signal?: AbortSignal }): Promise<GroqModelEntry[]>;
}
