/**
 * Resident memory of this process, from Linux's /proc: current RSS, peak RSS (VmHWM) and a
 * reset of the peak (writing 5 to /proc/self/clear_refs), so one call's peak can be measured.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";

function statusField(name: "VmRSS" | "VmHWM"): number | null {
  try {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(
      readFileSync("/proc/self/status", "utf8"),
    );
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null; // not Linux
  }
}

/** Current resident set size in bytes (Deno.memoryUsage().rss where /proc is absent). */
export function currentRssBytes(): number {
  return statusField("VmRSS") ?? Deno.memoryUsage().rss;
}

/** Peak resident set size since start or since the last {@link resetPeakRss}. */
export function peakRssBytes(): number {
  return statusField("VmHWM") ?? currentRssBytes();
}

/**
 * Resets the peak RSS to the current RSS. Returns false where the kernel does not allow it
 * (then peaks are measured since the process started).
 *
 * @example
 * ```ts
 * resetPeakRss();
 * await work();
 * const peak = peakRssBytes();
 * ```
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}
