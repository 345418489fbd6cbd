/**
 * Internal: the OS memory limit of a sandboxed run and the measure of its peak memory.
 *
 * V8's `--max-old-space-size` bounds only the JavaScript heap: ArrayBuffers and WebAssembly
 * memory live outside it. So on Linux the sandbox also gets an OS limit on its data segment
 * (RLIMIT_DATA, set with `ulimit -d` by `/bin/sh` right before it execs deno). RLIMIT_DATA
 * counts every private writable mapping: the heap pages V8 commits, ArrayBuffers, Wasm memory,
 * thread stacks; V8's address-space reservations (not writable until used) do not count, which
 * is why RLIMIT_AS (`ulimit -v`) cannot be used (V8 reserves many GB of address space up
 * front). The Deno runtime itself needs some data to start; that baseline is measured once per
 * grading (a Deno process that loads SES and locks down, as the harness does) and the limit is
 * the baseline plus the exercise's memory allowance.
 *
 * @module
 */
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";

const MB = 1024 * 1024;
/** Slack above the measured baseline (code space, compilation, GC bookkeeping), MB. */
const SLACK_MB = 64;

/** Whether the OS limit can be set here (Linux: /proc and a POSIX shell). */
export function osLimitAvailable(): boolean {
  return Deno.build.os === "linux" && existsSync("/bin/sh") && existsSync("/proc/self/status");
}

let baseline: Promise<number | null> | null = null;

/**
 * VmData (MB) of a Deno process that loaded SES and ran lockdown with the sandbox's flags,
 * measured once; null when it cannot be measured (not Linux).
 */
export function runtimeBaselineMb(sesFile: string, memoryMb: number): Promise<number | null> {
  baseline ??= measureBaseline(sesFile, memoryMb);
  return baseline;
}

async function measureBaseline(sesFile: string, memoryMb: number): Promise<number | null> {
  if (!osLimitAvailable()) return null;
  const dir = await Deno.makeTempDir({ prefix: "kit-grade-calib-" });
  try {
    cpSync(sesFile, join(dir, "_ses.mjs"));
    const script = join(dir, "calibrate.mjs");
    await Deno.writeTextFile(
      script,
      'import "./_ses.mjs";\n' +
        'const p = Reflect.getOwnPropertyDescriptor(globalThis, "process");\n' +
        'Reflect.deleteProperty(globalThis, "process");\n' +
        'lockdown({ errorTaming: "unsafe", consoleTaming: "unsafe", reporting: "none" });\n' +
        'if (p) Object.defineProperty(globalThis, "process", p);\n' +
        'console.log("ready");\n' +
        "setTimeout(() => {}, 10000);\n",
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--no-npm",
        "--no-prompt",
        `--v8-flags=--max-old-space-size=${memoryMb}`,
        script,
      ],
      cwd: dir,
      clearEnv: true,
      env: { DENO_DIR: join(dir, "deno_dir"), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    let kb = 0;
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("ready")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      await new Promise((r) => setTimeout(r, 100)); // let its threads start
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      kb = Number(/VmData:\s+(\d+)/.exec(status)?.[1] ?? 0);
      reader.releaseLock();
    } catch { /* no /proc: no limit */ }
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    await child.stdout.cancel().catch(() => {});
    return kb > 0 ? Math.ceil(kb / 1024) : null;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The OS data limit for an allowance of `memoryMb`, MB. */
export function dataLimitMb(baselineMb: number, memoryMb: number): number {
  return baselineMb + memoryMb + SLACK_MB;
}

/**
 * The command and arguments that run `cmd args…` with the data limit set: `/bin/sh` sets it
 * and execs deno (same process id), or fails with exit code 97 when it cannot.
 */
export function limitedCommand(limitMb: number, cmd: string, args: string[]): [string, string[]] {
  const kb = String(Math.floor((limitMb * MB) / 1024));
  return ["/bin/sh", ["-c", 'ulimit -d "$1" || exit 97; shift; exec "$@"', "sh", kb, cmd, ...args]];
}

/** Samples a process's peak resident memory (VmHWM) every 50 ms until stopped. */
export function sampleRss(pid: number): { stop: () => number | null } {
  let peakKb = 0;
  let busy = false;
  const read = async () => {
    if (busy) return;
    busy = true;
    try {
      const text = await Deno.readTextFile(`/proc/${pid}/status`);
      const kb = Number(/VmHWM:\s+(\d+)/.exec(text)?.[1] ?? 0);
      if (kb > peakKb) peakKb = kb;
    } catch { /* gone, or no /proc */ }
    busy = false;
  };
  const timer = setInterval(read, 50);
  void read();
  return {
    stop: () => {
      clearInterval(timer);
      return peakKb ? Math.round(peakKb / 1024) : null;
    },
  };
}
