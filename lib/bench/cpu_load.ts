/**
 * How busy the rest of the machine is: CPU time used by every process (/proc/stat) minus this
 * process's own (/proc/self/stat), in cores. On a shared 2-core machine one other busy process
 * makes a 2-thread onnxruntime session wait for its preempted thread at every parallel
 * section (measured here: 3× slower decoding), so the benchmarks wait for a quiet moment
 * before each generation and record the others' load during it.
 *
 * @module
 */

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Busy (non-idle) jiffies of the machine and of this process, with the time read. */
export interface CpuSample {
  at: number;
  machineBusy: number;
  self: number;
}

/**
 * Busy jiffies from the first line of /proc/stat ("cpu user nice system idle iowait irq
 * softirq steal …"): everything but idle and iowait.
 *
 * @example
 * ```ts
 * machineBusyJiffies("cpu  10 0 5 100 3 1 1 0 0 0\n"); // 17
 * ```
 */
export function machineBusyJiffies(procStat: string): number {
  const f = procStat.split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = f;
  return user + nice + system + irq + softirq + (steal ?? 0);
}

/**
 * utime + stime (jiffies, all threads) from a /proc/<pid>/stat line (fields 14 and 15,
 * counted after the parenthesised command name, which may hold spaces).
 *
 * @example
 * ```ts
 * processJiffies("42 (deno x) S 1 2 3 4 5 6 7 8 9 10 11 12 13"); // 23
 * ```
 */
export function processJiffies(procPidStat: string): number {
  const rest = procPidStat.slice(procPidStat.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]);
}

/** Reads a {@link CpuSample} (null where /proc is absent). */
export function cpuSample(): CpuSample | null {
  try {
    return {
      at: performance.now(),
      machineBusy: machineBusyJiffies(Deno.readTextFileSync("/proc/stat")),
      self: processJiffies(Deno.readTextFileSync("/proc/self/stat")),
    };
  } catch {
    return null;
  }
}

/**
 * Cores' worth of CPU used by other processes between two samples.
 *
 * @example
 * ```ts
 * othersLoad({ at: 0, machineBusy: 0, self: 0 }, { at: 1000, machineBusy: 150, self: 100 }); // 0.5
 * ```
 */
export function othersLoad(a: CpuSample, b: CpuSample): number {
  const seconds = (b.at - a.at) / 1000;
  if (seconds <= 0) return 0;
  const others = (b.machineBusy - a.machineBusy) - (b.self - a.self);
  return Math.max(0, others / TICKS_PER_SECOND / seconds);
}

/**
 * Waits (up to `maxWaitMs`) until other processes use less than `threshold` cores over a
 * 500 ms window; returns the last window's load.
 */
export async function waitForQuiet(threshold = 0.15, maxWaitMs = 8_000): Promise<number> {
  const until = performance.now() + maxWaitMs;
  let load = 0;
  do {
    const a = cpuSample();
    await new Promise((r) => setTimeout(r, 500));
    const b = cpuSample();
    if (!a || !b) return 0;
    load = othersLoad(a, b);
    if (load < threshold) break;
  } while (performance.now() < until);
  return load;
}
