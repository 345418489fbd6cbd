/**
 * Runs one exercise module in a sandbox: a separate `deno run` with no network, no writes, no
 * subprocesses, no FFI, no environment variables (the environment is cleared and env access
 * denied), no remote or npm imports, reads limited to the exercise data (not even the exercise
 * module: the harness imports it by a literal specifier), a memory limit set by the OS on the
 * whole process (RLIMIT_DATA through `ulimit -d`: the V8 heap, ArrayBuffers and Wasm memory
 * alike), a wall-clock limit enforced with SIGKILL, and its output capped (the process is
 * killed past the cap). Inside, the harness freezes JavaScript with SES `lockdown()` before the
 * submission runs and reports each step on stdout behind a random nonce.
 *
 * The sandbox is a fresh temporary folder that mirrors the repository's layout with only what
 * an exercise may touch: `lib/grading/{checks,fakes,_harness}.ts` (+ SES), `data/exercises/`,
 * and the exercise module in `notebooks/ejercicios/alumno/`, which is the working directory (so
 * the notebook's relative paths work). Deno's own cache (`DENO_DIR`) is per run as well.
 *
 * @module
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";
import { dataLimitMb, limitedCommand, runtimeBaselineMb, sampleRss } from "./_memory.ts";

/** Limits for one sandboxed run. */
export interface SandboxLimits {
  /** Wall-clock limit for the whole run (load + every test), ms. */
  timeLimitMs: number;
  /** Limit for one test (the harness fails it and goes on), ms. */
  testTimeoutMs: number;
  /** Bytes of stdout + stderr read before the process is killed. */
  maxOutputBytes: number;
  /**
   * Memory the submission may use, MB: the V8 heap limit, and on Linux the OS limit on the
   * process's data (the Deno runtime's own baseline, measured once, plus this).
   */
  memoryMb: number;
}

/** Defaults: 20 s per exercise, 5 s per test, 256 KiB of output, 256 MB of memory. */
export const DEFAULT_LIMITS: SandboxLimits = {
  timeLimitMs: 20_000,
  testTimeoutMs: 5_000,
  maxOutputBytes: 256 * 1024,
  memoryMb: 256,
};

/** One line the harness reported. */
export type HarnessEvent =
  | { e: "hello" }
  | { e: "load-error"; message: string; line?: number | null }
  | { e: "loaded"; count: number }
  | { e: "test"; i: number; name: string; points: number }
  | {
    e: "result";
    i: number;
    name: string;
    ok: boolean;
    feedback?: string;
    line?: number | null;
  }
  | { e: "done" };

/** How a run ended. */
export type RunEnd = "done" | "timeout" | "output-limit" | "out-of-memory" | "exited";

/** What a sandboxed run produced. */
export interface SandboxRun {
  events: HarnessEvent[];
  end: RunEnd;
  /** Exit code (null when killed by a signal). */
  code: number | null;
  /** The start of stderr (Deno's own messages: crashes, out of memory). */
  stderr: string;
  /** Wall-clock time of the run, ms. */
  ms: number;
  /** Peak resident memory of the process (VmHWM, sampled every 50 ms), MB; null if unknown. */
  maxRssMb: number | null;
  /** The OS limit on the process's data, MB; null where there is none (not Linux). */
  dataLimitMb: number | null;
}

/** Options of one sandboxed run. */
export interface SandboxOptions {
  /**
   * The global name of the harness's one-shot registration capability: the exercise module's
   * tests block calls it (see {@link newCapabilityName}).
   */
  take: string;
}

/** Files of lib/grading the sandbox gets (the notebooks' setup cells import them). */
const SANDBOX_LIB = ["checks.ts", "fakes.ts"];
/** The exercise module's folder inside the sandbox (mirrors the notebooks' folder). */
const MODULE_DIR = join("notebooks", "ejercicios", "alumno");

/**
 * The `deno run` arguments of a sandboxed run: every permission denied except reading the
 * exercise data.
 */
export function sandboxArgs(root: string, harness: string, memoryMb: number): string[] {
  return [
    "run",
    "--no-config",
    "--no-lock",
    "--no-remote",
    "--no-npm",
    "--cached-only",
    "--no-prompt",
    "--no-check",
    `--allow-read=${join(root, "data", "exercises")}`,
    `--v8-flags=--max-old-space-size=${memoryMb}`,
    harness,
  ];
}

function randomHex(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function randomNonce(): string {
  return `@@kit-grade-${randomHex(16)}@@`;
}

/** A fresh random global name for the registration capability (an identifier). */
export function newCapabilityName(): string {
  return `__kit_take_${randomHex(12)}`;
}

/** SES (Hardened JavaScript), as one ES module file the sandbox copies. */
const SES_FILE = join(ROOT, "node_modules", "ses", "dist", "ses.mjs");

/** Lays out a fresh sandbox folder; returns its paths. */
function layOut(
  base: string,
  exerciseModule: string,
  limits: SandboxLimits,
  nonce: string,
  take: string,
) {
  const root = join(base, "root");
  const libDir = join(root, "lib", "grading");
  const moduleDir = join(root, MODULE_DIR);
  mkdirSync(libDir, { recursive: true });
  mkdirSync(moduleDir, { recursive: true });
  const here = join(ROOT, "lib", "grading");
  for (const f of SANDBOX_LIB) cpSync(join(here, f), join(libDir, f));
  const data = join(ROOT, "data", "exercises");
  mkdirSync(join(root, "data", "exercises"), { recursive: true });
  if (existsSync(data)) cpSync(data, join(root, "data", "exercises"), { recursive: true });
  const modulePath = join(moduleDir, "_exercise.ts");
  writeFileSync(modulePath, exerciseModule);
  if (!existsSync(SES_FILE)) {
    throw new Error(`falta ${SES_FILE}: ejecuta «deno task setup» (instala el paquete ses).`);
  }
  cpSync(SES_FILE, join(libDir, "_ses.mjs"));
  const harness = join(libDir, "_harness.ts");
  const url = JSON.stringify(new URL(`file://${modulePath}`).href);
  const template = readFileSync(join(here, "_harness.ts"), "utf8");
  const filled = template.replace('import "ses";', 'import "./_ses.mjs";')
    .replace('"__NONCE__"', JSON.stringify(nonce))
    .replace('"__TAKE__"', JSON.stringify(take))
    .replace('"__MODULE__"', url)
    .replace("import(MODULE_URL)", `import(${url})`)
    .replace('"__TEST_TIMEOUT_MS__"', JSON.stringify(String(limits.testTimeoutMs)));
  if (!filled.includes(`import(${url})`)) throw new Error("_harness.ts: falta import(MODULE_URL)");
  writeFileSync(harness, filled);
  return { root, moduleDir, modulePath, harness, denoDir: join(base, "deno_dir") };
}

/** Parses the harness's lines out of stdout (anything without the nonce is ignored). */
export function parseEvents(stdout: string, nonce: string): HarnessEvent[] {
  const events: HarnessEvent[] = [];
  for (const line of stdout.split("\n")) {
    const at = line.indexOf(nonce);
    if (at < 0) continue;
    try {
      events.push(JSON.parse(line.slice(at + nonce.length)));
    } catch { /* a line cut by the output cap */ }
  }
  return events;
}

/**
 * Runs an exercise module (setup + the student's code + tests, as one TypeScript module) in
 * a fresh sandbox and returns what the harness reported and how the run ended. The module's
 * tests block must take the registration capability named `opts.take`.
 *
 * @example
 * ```ts
 * const take = newCapabilityName();
 * const run = await runInSandbox(exerciseModule(source, "memoria", code, take).text, DEFAULT_LIMITS, { take });
 * run.end; // "done"
 * ```
 */
export async function runInSandbox(
  exerciseModule: string,
  limits: SandboxLimits,
  opts: SandboxOptions,
): Promise<SandboxRun> {
  const baseline = await runtimeBaselineMb(SES_FILE, limits.memoryMb);
  const base = await Deno.makeTempDir({ prefix: "kit-grade-" });
  const nonce = randomNonce();
  const started = performance.now();
  try {
    const p = layOut(base, exerciseModule, limits, nonce, opts.take);
    const args = sandboxArgs(p.root, p.harness, limits.memoryMb);
    const dataLimit = baseline === null ? null : dataLimitMb(baseline, limits.memoryMb);
    const [cmd, cmdArgs] = dataLimit === null
      ? [Deno.execPath(), args]
      : limitedCommand(dataLimit, Deno.execPath(), args);
    const child = new Deno.Command(cmd, {
      args: cmdArgs,
      cwd: p.moduleDir,
      clearEnv: true,
      env: { DENO_DIR: p.denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const rss = sampleRss(child.pid);

    let killedFor: RunEnd | null = null;
    const kill = (why: RunEnd) => {
      if (killedFor) return;
      killedFor = why;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    };
    const timer = setTimeout(() => kill("timeout"), limits.timeLimitMs);
    let total = 0;
    /** Reads a stream to its end, keeping its first `head` and last `tail` bytes. */
    const read = async (stream: ReadableStream<Uint8Array>, head: number, tail = 0) => {
      const parts: Uint8Array[] = [];
      let kept = 0;
      let last = new Uint8Array(0);
      for await (const chunk of stream) {
        total += chunk.length;
        if (kept < head) {
          const part = chunk.subarray(0, head - kept);
          parts.push(part);
          kept += part.length;
        } else if (tail > 0) {
          const joined = new Uint8Array(last.length + chunk.length);
          joined.set(last);
          joined.set(chunk, last.length);
          last = joined.slice(Math.max(0, joined.length - tail));
        }
        if (total > limits.maxOutputBytes) kill("output-limit");
      }
      parts.push(last);
      const all = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
      let off = 0;
      for (const part of parts) {
        all.set(part, off);
        off += part.length;
      }
      return new TextDecoder().decode(all);
    };
    const [stdout, stderr, status] = await Promise.all([
      read(child.stdout, limits.maxOutputBytes),
      read(child.stderr, 2048, 6144),
      child.status,
    ]);
    clearTimeout(timer);
    const maxRssMb = rss.stop();
    if (status.code === 97 && dataLimit !== null && !stdout) {
      throw new Error(
        `no se pudo fijar el límite de memoria del sistema (ulimit -d ${dataLimit} MB)`,
      );
    }
    const events = parseEvents(stdout, nonce);
    const done = events.some((e) => e.e === "done");
    const end: RunEnd = killedFor ??
      (done ? "done" : OUT_OF_MEMORY.test(stderr) ? "out-of-memory" : "exited");
    return {
      events,
      end,
      code: status.code,
      stderr,
      ms: performance.now() - started,
      maxRssMb,
      dataLimitMb: dataLimit,
    };
  } finally {
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
}

/** What Deno prints when the process ran out of memory (heap limit or OS limit). */
const OUT_OF_MEMORY =
  /out of memory|heap limit|allocation failed|Cannot allocate memory|memory allocation of \d+ bytes failed/i;
