/**
 * Runs one exercise module in a sandbox: a separate `deno run` with no network, no writes, no
 * subprocesses, no FFI, no environment variables (the environment is cleared and env access
 * denied), no remote or npm imports, reads limited to the exercise data, a V8 heap limit, a
 * wall-clock limit enforced with SIGKILL, and its output capped (the process is killed past
 * the cap). The harness inside reports each step on stdout behind a random nonce.
 *
 * The sandbox is a fresh temporary folder that mirrors the repository's layout with only what
 * an exercise may touch: `lib/grading/{checks,fakes,_harness}.ts`, `data/exercises/`, and the
 * exercise module in `notebooks/ejercicios/alumno/`, which is the working directory (so the
 * notebook's relative paths work). Deno's own cache (`DENO_DIR`) is per run as well.
 *
 * @module
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";

/** Limits for one sandboxed run. */
export interface SandboxLimits {
  /** Wall-clock limit for the whole run (load + every test), ms. */
  timeLimitMs: number;
  /** Limit for one test (the harness fails it and goes on), ms. */
  testTimeoutMs: number;
  /** Bytes of stdout + stderr read before the process is killed. */
  maxOutputBytes: number;
  /** V8 old-space limit, MB. */
  memoryMb: number;
}

/** Defaults: 20 s per exercise, 5 s per test, 256 KiB of output, 256 MB of heap. */
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
  | { e: "loaded"; tests: { name: string; points: number }[] }
  | { e: "start"; i: number }
  | { e: "result"; i: number; ok: boolean; feedback?: string; line?: number | null }
  | { e: "tampered" }
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
}

/** Files of lib/grading the sandbox gets (the notebooks' setup cells import them). */
const SANDBOX_LIB = ["checks.ts", "fakes.ts"];
/** The exercise module's folder inside the sandbox (mirrors the notebooks' folder). */
const MODULE_DIR = join("notebooks", "ejercicios", "alumno");

/**
 * The `deno run` arguments of a sandboxed run: every permission denied except reading the
 * exercise data and the exercise module itself.
 */
export function sandboxArgs(
  root: string,
  harness: string,
  modulePath: string,
  memoryMb: number,
): string[] {
  return [
    "run",
    "--no-config",
    "--no-lock",
    "--no-remote",
    "--no-npm",
    "--cached-only",
    "--no-prompt",
    "--no-check",
    `--allow-read=${join(root, "data", "exercises")},${modulePath}`,
    `--v8-flags=--max-old-space-size=${memoryMb}`,
    harness,
  ];
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "@@kit-grade-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") +
    "@@";
}

/** Lays out a fresh sandbox folder; returns its paths. */
function layOut(base: string, exerciseModule: string, limits: SandboxLimits, nonce: string) {
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
  const harness = join(libDir, "_harness.ts");
  const template = readFileSync(join(here, "_harness.ts"), "utf8");
  writeFileSync(
    harness,
    template.replace('"__NONCE__"', JSON.stringify(nonce))
      .replace('"__MODULE__"', JSON.stringify(new URL(`file://${modulePath}`).href))
      .replace('"__TEST_TIMEOUT_MS__"', JSON.stringify(String(limits.testTimeoutMs))),
  );
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
 * a fresh sandbox and returns what the harness reported and how the run ended.
 *
 * @example
 * ```ts
 * const run = await runInSandbox(moduleText, DEFAULT_LIMITS);
 * run.end; // "done"
 * ```
 */
export async function runInSandbox(
  exerciseModule: string,
  limits: SandboxLimits = DEFAULT_LIMITS,
): Promise<SandboxRun> {
  const base = await Deno.makeTempDir({ prefix: "kit-grade-" });
  const nonce = randomNonce();
  const started = performance.now();
  try {
    const p = layOut(base, exerciseModule, limits, nonce);
    const child = new Deno.Command(Deno.execPath(), {
      args: sandboxArgs(p.root, p.harness, p.modulePath, limits.memoryMb),
      cwd: p.moduleDir,
      clearEnv: true,
      env: { DENO_DIR: p.denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();

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
    const read = async (stream: ReadableStream<Uint8Array>, keep: number) => {
      const parts: Uint8Array[] = [];
      let kept = 0;
      for await (const chunk of stream) {
        total += chunk.length;
        if (kept < keep) {
          const part = chunk.subarray(0, keep - kept);
          parts.push(part);
          kept += part.length;
        }
        if (total > limits.maxOutputBytes) kill("output-limit");
      }
      const all = new Uint8Array(kept);
      let off = 0;
      for (const part of parts) {
        all.set(part, off);
        off += part.length;
      }
      return new TextDecoder().decode(all);
    };
    const [stdout, stderr, status] = await Promise.all([
      read(child.stdout, limits.maxOutputBytes),
      read(child.stderr, 8192),
      child.status,
    ]);
    clearTimeout(timer);
    const events = parseEvents(stdout, nonce);
    const done = events.some((e) => e.e === "done");
    const end: RunEnd = killedFor ??
      (done
        ? "done"
        : /out of memory|heap limit|allocation failed/i.test(stderr)
        ? "out-of-memory"
        : "exited");
    return { events, end, code: status.code, stderr, ms: performance.now() - started };
  } finally {
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
}
