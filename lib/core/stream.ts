/**
 * Timing a generation the same way for every backend: TTFT from the request to the first
 * piece, tokens per second over the decode phase (after the first token).
 *
 * @module
 */
import {
  DEFAULT_MAX_TOKENS,
  DEFAULT_TIMEOUT_MS,
  type GenerateOptions,
  type GenerateResult,
  type GenerationStream,
  type StopReason,
  type Timings,
} from "./types.ts";

/**
 * A piece of generated text and how many tokens it holds (default 1). `kind` "thinking" marks a
 * reasoning model's thinking (Ollama's `thinking`, Groq's `reasoning`): it is timed and counted
 * like the answer but kept apart from it (result.thinking), and not yielded by the iteration.
 */
export interface Piece {
  text: string;
  tokens?: number;
  kind?: "answer" | "thinking";
}

/** What a source reports when it ends. */
export interface SourceEnd {
  tokensIn: number;
  /** Token count if the source knows better than the sum of pieces (e.g. a service's usage). */
  tokensOut?: number;
  stopReason?: StopReason;
  model: string;
  serviceTimings?: Record<string, number>;
  memory?: GenerateResult["memory"];
  details?: GenerateResult["details"];
}

/** A backend's raw generation: yields pieces, returns its end facts; must honour `signal`. */
export type Source = (signal: AbortSignal) => AsyncGenerator<Piece, SourceEnd, undefined>;

/**
 * Computes client timings from the request time and the arrival times of the first and
 * last pieces (performance.now() values).
 *
 * @example
 * ```ts
 * timingsFrom(0, 100, 1100, 1200, 11).tokensPerSecond; // 10
 * ```
 */
export function timingsFrom(
  requestAt: number,
  firstAt: number | null,
  lastAt: number | null,
  endAt: number,
  tokensOut: number,
): Timings {
  const decodeMs = firstAt !== null && lastAt !== null ? lastAt - firstAt : 0;
  return {
    ttftMs: firstAt === null ? null : firstAt - requestAt,
    totalMs: endAt - requestAt,
    decodeMs,
    tokensPerSecond: tokensOut >= 2 && decodeMs > 0 ? ((tokensOut - 1) * 1000) / decodeMs : null,
  };
}

/** True when the error is an abort (ours, the user's, or a timeout's). */
function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted ||
    (error instanceof DOMException &&
      (error.name === "AbortError" || error.name === "TimeoutError"));
}

/**
 * Wraps a source into a {@link GenerationStream}: measures timings, enforces the timeout,
 * links the caller's abort signal, and keeps the text produced before an abort or timeout.
 * Errors from the source reject `result` and the iteration.
 */
export function measureStream(source: Source, opts: GenerateOptions = {}): GenerationStream {
  const controller = new AbortController();
  // A timer we clear when the stream ends (AbortSignal.timeout would keep the process alive
  // until it fires, as long as a library left a listener on it).
  const timeoutController = new AbortController();
  const timeout = timeoutController.signal;
  const timer = setTimeout(
    () => timeoutController.abort(new DOMException("timeout", "TimeoutError")),
    opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  const signals = [controller.signal, timeout, ...(opts.signal ? [opts.signal] : [])];
  const signal = AbortSignal.any(signals);
  let resolve!: (r: GenerateResult) => void;
  let reject!: (e: unknown) => void;
  const result = new Promise<GenerateResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  result.catch(() => {}); // the rejection is delivered to whoever awaits it or iterates
  let started = false;

  async function* run(): AsyncGenerator<string> {
    const requestAt = performance.now();
    let firstAt: number | null = null;
    let lastAt: number | null = null;
    let text = "";
    let thinking = "";
    let thinkingTokens = 0;
    let answerAt: number | null = null;
    let tokens = 0;
    let end: SourceEnd | undefined;
    let stop: StopReason | undefined;
    let settled = false;
    /** Resolves `result` with what was produced; also when the consumer left the loop early. */
    const finish = () => {
      if (settled) return;
      settled = true;
      if (signal.aborted || !end) {
        stop = timeout.aborted && !controller.signal.aborted ? "timeout" : "abort";
      }
      const tokensOut = end?.tokensOut ?? tokens;
      const timings = timingsFrom(requestAt, firstAt, lastAt, performance.now(), tokensOut);
      if (thinkingTokens > 0) {
        timings.answerTtftMs = answerAt === null ? null : answerAt - requestAt;
      }
      resolve({
        text,
        ...(thinkingTokens > 0 ? { thinking, thinkingTokens } : {}),
        tokensIn: end?.tokensIn ?? 0,
        tokensOut,
        stopReason: stop ?? end?.stopReason ??
          (tokensOut >= (opts.maxTokens ?? DEFAULT_MAX_TOKENS) ? "length" : "stop"),
        timings,
        serviceTimings: end?.serviceTimings,
        model: end?.model ?? "",
        memory: end?.memory,
        details: end?.details,
      });
    };
    const it = source(signal);
    try {
      while (true) {
        const next = await it.next();
        if (next.done) {
          end = next.value;
          break;
        }
        const now = performance.now();
        if (next.value.text.length > 0 || (next.value.tokens ?? 1) > 0) {
          firstAt ??= now;
          lastAt = now;
        }
        tokens += next.value.tokens ?? 1;
        if (next.value.kind === "thinking") {
          thinking += next.value.text;
          thinkingTokens += next.value.tokens ?? 1;
          if (next.value.text) opts.onThinking?.(next.value.text);
        } else {
          if (next.value.text || (next.value.tokens ?? 1) > 0) answerAt ??= now;
          text += next.value.text;
          if (next.value.text) yield next.value.text;
        }
        if (signal.aborted) break;
      }
    } catch (error) {
      if (!isAbort(error, signal)) {
        settled = true;
        reject(error);
        throw error;
      }
    } finally {
      clearTimeout(timer);
      // The consumer left early (return() at a yield): stop the source, keep what came.
      if (!end && !signal.aborted && !settled) controller.abort();
      if (!end) await it.return?.(undefined as never).catch(() => {});
      finish();
    }
  }

  const gen = run();
  return {
    [Symbol.asyncIterator]() {
      started = true;
      return gen;
    },
    get result() {
      if (!started) {
        started = true;
        (async () => {
          try {
            for await (const _ of gen) { /* drain */ }
          } catch { /* delivered through `result` */ }
        })();
      }
      return result;
    },
    abort() {
      controller.abort();
    },
  };
}
