/**
 * How notebook 03 runs Ollama here: online (a real `ollama`, or one the install script can fetch)
 * or offline (the kit's stand-in, scripts/offline/ollama, put first on the scripts' PATH), and
 * running the Colab-style scripts from a cell with their output shown. The same cells serve
 * both modes; only the executable, the model and what the output says differ.
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../env/paths.ts";
import { forcedOffline, ollamaHost, reachable } from "../env/services.ts";

/** Folder of the offline `ollama` executable. */
export const OFFLINE_BIN_DIR: string = join(ROOT, "scripts", "offline");

/** The model the notebook uses online when OLLAMA_MODEL does not name one. */
export const ONLINE_DEFAULT_MODEL = "llama3.2:1b";

/** The model the offline stand-in serves. */
export const OFFLINE_MODEL = "tiny";

/** How method 3 runs on this machine. */
export interface OllamaSetup {
  mode: "online" | "offline";
  /** Why, in Spanish. */
  reason: string;
  /** Base URL (from OLLAMA_HOST). */
  host: string;
  /** Model to pull and use. */
  model: string;
  /** Environment for the scripts (offline: PATH with scripts/offline first, DENO_BIN). */
  env: Record<string, string>;
}

async function whichOllama(path: string): Promise<string | null> {
  const { success, stdout } = await new Deno.Command("sh", {
    args: ["-c", "command -v ollama"],
    env: { PATH: path },
    stdout: "piped",
    stderr: "null",
  }).output();
  return success ? new TextDecoder().decode(stdout).trim() : null;
}

async function serverVersion(host: string): Promise<string | null> {
  try {
    const res = await fetch(`${host}/api/version`, { signal: AbortSignal.timeout(2000) });
    const body = await res.json();
    return typeof body?.version === "string" ? body.version : null;
  } catch {
    return null;
  }
}

/**
 * Decides online or offline for Ollama: KIT_OFFLINE=1 → offline; a real `ollama` on PATH, a
 * real server answering at OLLAMA_HOST, or ollama.com reachable (to install it) → online;
 * otherwise offline. Offline, the scripts find the kit's stand-in first on their PATH.
 *
 * @example
 * ```ts
 * const setup = await ollamaSetup();
 * console.log(setup.mode, setup.reason);
 * ```
 */
export async function ollamaSetup(): Promise<OllamaSetup> {
  const host = ollamaHost();
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  const online = (reason: string): OllamaSetup => ({
    mode: "online",
    reason,
    host,
    model: Deno.env.get("OLLAMA_MODEL") || ONLINE_DEFAULT_MODEL,
    env: { PATH: path },
  });
  const offline = (reason: string): OllamaSetup => ({
    mode: "offline",
    reason,
    host,
    model: OFFLINE_MODEL,
    env: { PATH: `${OFFLINE_BIN_DIR}:${path}`, DENO_BIN: Deno.execPath() },
  });
  const standIn = "se usa el sustituto offline del kit (scripts/offline/ollama)";
  if (forcedOffline()) return offline(`KIT_OFFLINE=1: modo sin conexión pedido; ${standIn}`);
  const installed = await whichOllama(path);
  if (installed && !installed.startsWith(OFFLINE_BIN_DIR)) {
    return online(`ollama está instalado (${installed})`);
  }
  const version = await serverVersion(host);
  if (version && !version.includes("kit-offline")) {
    return online(`un Ollama real responde en ${host} (versión ${version})`);
  }
  if (await reachable("https://ollama.com", 3000)) {
    return online("ollama.com es accesible: se puede instalar con scripts/ollama_install.sh");
  }
  return offline(`ni ollama instalado ni red hacia ollama.com; ${standIn}`);
}

/** What a script printed and how it ended. */
export interface ScriptRun {
  code: number;
  output: string;
}

/**
 * Runs one of the kit's scripts (scripts/<name>) with bash, as a cell would with `!bash …` in
 * Colab, printing its output line by line as it comes (stdout and stderr together). Bounded by
 * `timeoutMs` (then the script is killed). Never throws for a non-zero exit: returns the code.
 *
 * @example
 * ```ts
 * const { code } = await runScript("ollama_start.sh", [], setup);
 * ```
 */
export async function runScript(
  name: string,
  args: string[] = [],
  setup?: Pick<OllamaSetup, "env">,
  timeoutMs = 10 * 60_000,
): Promise<ScriptRun> {
  const child = new Deno.Command("bash", {
    args: ["-c", 'exec bash "$0" "$@" 2>&1', join(ROOT, "scripts", name), ...args],
    env: { ...setup?.env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGTERM");
    } catch { /* already ended */ }
  }, timeoutMs);
  let output = "";
  let pending = "";
  try {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      output += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) console.log(line);
    }
    if (pending) console.log(pending);
  } finally {
    clearTimeout(timer);
  }
  const { code } = await child.status;
  return { code, output };
}

/**
 * Pids of running `ollama serve` processes (what `pgrep -f "ollama serve"` finds), to show that
 * stopping left none behind.
 */
export async function ollamaServePids(): Promise<number[]> {
  const { stdout } = await new Deno.Command("pgrep", {
    args: ["-f", "ollama serve"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter(Boolean).map(Number);
}
