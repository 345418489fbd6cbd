/**
 * Abort plumbing for groq-sdk calls: a signal the SDK may keep listeners on without keeping the
 * process alive, and a sleep that an abort ends.
 *
 * @module
 */

/**
 * A signal that follows `parent` until `release()`. groq-sdk adds an abort listener to the
 * signal it is given and never removes it; on a signal with a timer (AbortSignal.timeout,
 * measureStream's) Deno then keeps the process alive until the timer fires. The SDK gets
 * this plain signal instead, and our one listener on `parent` is removed when done.
 */
export function linkedSignal(parent: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener("abort", onAbort, { once: true });
  return { signal: controller.signal, release: () => parent.removeEventListener("abort", onAbort) };
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
