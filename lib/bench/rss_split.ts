/**
 * Resident memory split into anonymous and file-backed pages (Linux /proc/self/status), to
 * tell weights copied into the heap from model files mapped into the process.
 *
 * @module
 */
import type { RssSplit } from "./worker_protocol.ts";

/**
 * Parses RssAnon, RssFile and VmRSS (kB) out of a /proc/<pid>/status text, in bytes.
 *
 * @example
 * ```ts
 * parseRssSplit("VmRSS:\t 3 kB\nRssAnon:\t 1 kB\nRssFile:\t 2 kB\n"); // {rss: 3072, anon: 1024, file: 2048}
 * ```
 */
export function parseRssSplit(status: string): RssSplit {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rss: field("VmRSS"), anon: field("RssAnon"), file: field("RssFile") };
}

/** This process's RSS split (zeros where /proc is absent). */
export function rssSplit(): RssSplit {
  try {
    return parseRssSplit(Deno.readTextFileSync("/proc/self/status"));
  } catch {
    return { rss: 0, anon: 0, file: 0 };
  }
}
