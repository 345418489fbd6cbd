/** Network probes with a time limit (no probe is made in offline mode: callers check first). */

/**
 * The HTTP answer of `url` within the time limit, or null when nothing answered. The body is
 * read as text (at most `maxBytes`) so callers can check who answered.
 *
 * @example
 * ```ts
 * const res = await probe("http://127.0.0.1:11434/api/version");
 * res?.status; // 200
 * ```
 */
export async function probe(
  url: string,
  timeoutMs = 2500,
  maxBytes = 4096,
): Promise<{ status: number; body: string; headers: Headers } | null> {
  try {
    const res = await fetch(url, { method: "GET", signal: AbortSignal.timeout(timeoutMs) });
    const reader = res.body?.getReader();
    let body = "";
    if (reader) {
      const decoder = new TextDecoder();
      while (body.length < maxBytes) {
        const { done, value } = await reader.read();
        if (done) break;
        body += decoder.decode(value, { stream: true });
      }
      await reader.cancel().catch(() => {});
    }
    return { status: res.status, body: body.slice(0, maxBytes), headers: res.headers };
  } catch {
    return null;
  }
}

/** Whether a URL answers any HTTP response within the time limit. */
export async function reachable(url: string, timeoutMs = 2500): Promise<boolean> {
  return (await probe(url, timeoutMs, 0)) !== null;
}
