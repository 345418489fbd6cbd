/**
 * Resident memory of this process, from Linux's /proc: current RSS, peak RSS (VmHWM) and a
 * reset of the peak (writing 5 to /proc/self/clear_refs), so one call's peak can be measured.
 *
 * @module
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

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

function pidField(pid: number, name: "VmHWM" | "VmRSS"): number | null {
  try {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null; // gone, or not Linux
  }
}

/** The pid and all its descendants (Linux /proc; just [pid] where that is not readable). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${task}/children`, "utf8").trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch { /* gone */ }
  }
  return out;
}

/**
 * Peak resident memory of another process and its descendants (sum of each one's VmHWM), e.g.
 * a local server: the memory a method uses in its own process, not in the caller's. Null when
 * the process is gone or /proc is absent.
 *
 * @example
 * ```ts
 * processPeakRssBytes(server.pid); // 123456789
 * ```
 */
export function processPeakRssBytes(pid: number): number | null {
  const peaks = processTree(pid).map((p) => pidField(p, "VmHWM")).filter((x) => x !== null);
  return peaks.length ? peaks.reduce((a, b) => a + b, 0) : null;
}

/** Resident memory split as Linux reports it: total, anonymous (heap) and file-backed (maps). */
export interface RssSplit {
  rss: number;
  anon: number;
  file: number;
}

/**
 * Parses VmRSS, RssAnon and RssFile (kB) out of a /proc/<pid>/status text, in bytes (0 for a
 * field that is absent).
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
    return parseRssSplit(readFileSync("/proc/self/status", "utf8"));
  } catch {
    return { rss: 0, anon: 0, file: 0 };
  }
}
