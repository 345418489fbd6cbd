/**
 * How notebook 03 runs Ollama here: online (a real `ollama`, or one the install script can fetch)
 * or offline (the kit's stand-in, scripts/offline/ollama, put first on the scripts' PATH), and
 * running the Colab-style scripts from a cell with their output shown. The same cells serve
 * both modes; only the executable, the model and what the output says differ.
 *
 * @module
 */
import { join } from "node:path";
import {
  kitConfig,
  type MethodMode,
  OLLAMA_DEFAULT_HOST,
  parseOllamaHost,
  probe,
  reachable,
  ROOT,
} from "../../core/mod.ts";

/** Folder of the offline `ollama` executable. */
export const OFFLINE_BIN_DIR: string = join(ROOT, "scripts", "offline");

/** The model used online when OLLAMA_MODEL does not name one. */
export const ONLINE_DEFAULT_MODEL = "llama3.2:1b";

/** The model the offline stand-in answers with by default (kit-es in Q4_0, as Ollama ships 4-bit models; it also serves `tiny`). */
export const OFFLINE_MODEL = "kit-es";

/** How method 3 runs on this machine: the one rule that notebooks 00 and 03 and the demo use. */
export interface OllamaMode extends MethodMode {
  /** Base URL (from OLLAMA_HOST, read as Ollama reads it). */
  host: string;
  /** Model to pull and use (online: OLLAMA_MODEL, else the default; see chooseOllamaModel). */
  model: string;
  /** Whether OLLAMA_MODEL named the model (online, it then wins over the kit's preference). */
  modelSet: boolean;
  /**
   * Online only: what is missing before a real Ollama answers — null (it answers now),
   * "start" (installed, not running: scripts/ollama_start.sh) or "install" (not installed,
   * ollama.com reachable: scripts/ollama_install.sh).
   */
  needs: null | "start" | "install";
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

/** Who answers at `host`/api/version: a real Ollama (its version), the kit's stand-in, or other. */
export async function whoAnswers(
  host: string,
): Promise<{ kind: "ollama" | "stand-in" | "other" | "none"; version?: string; status?: number }> {
  const res = await probe(`${host}/api/version`, 2000);
  if (!res) return { kind: "none" };
  let version: unknown;
  try {
    version = JSON.parse(res.body)?.version;
  } catch { /* not JSON: not Ollama */ }
  if (res.status !== 200 || typeof version !== "string") {
    return { kind: "other", status: res.status };
  }
  if (res.headers.get("x-kit-offline") || version.includes("kit-offline")) {
    return { kind: "stand-in", version };
  }
  return { kind: "ollama", version };
}

/**
 * Decides online or offline for Ollama. KIT_OFFLINE=1 or an OLLAMA_HOST that is not an
 * address → offline. A real Ollama answering /api/version at OLLAMA_HOST → online. A real
 * `ollama` on PATH → online, needs "start". ollama.com reachable → online, needs "install".
 * Otherwise offline: the scripts find the kit's stand-in first on their PATH. Anything else
 * answering at OLLAMA_HOST (not Ollama) is named in the reason.
 *
 * @example
 * ```ts
 * const mode = await ollamaMode();
 * console.log(mode.mode, mode.reason);
 * ```
 */
export async function ollamaMode(): Promise<OllamaMode> {
  const cfg = kitConfig();
  const host = cfg.ollama.host ?? OLLAMA_DEFAULT_HOST;
  const path = cfg.path;
  const base = { method: 3 as const, name: "Ollama", host };
  const online = (reason: string, needs: OllamaMode["needs"]): OllamaMode => ({
    ...base,
    mode: "online",
    reason,
    needs,
    model: cfg.ollama.model ?? ONLINE_DEFAULT_MODEL,
    modelSet: !!cfg.ollama.model,
    env: { PATH: path },
  });
  const offline = (reason: string): OllamaMode => ({
    ...base,
    mode: "offline",
    reason: `${reason}; se usa el sustituto offline del kit (scripts/offline/ollama)`,
    needs: null,
    model: OFFLINE_MODEL,
    modelSet: false,
    env: { PATH: `${OFFLINE_BIN_DIR}:${path}`, DENO_BIN: Deno.execPath() },
  });
  if (cfg.offline) return offline("KIT_OFFLINE=1: modo sin conexión pedido");
  if (cfg.ollama.hostError) return offline(cfg.ollama.hostError.replace(/\.$/, ""));
  const answer = await whoAnswers(host);
  if (answer.kind === "ollama") {
    return online(`un Ollama real responde en ${host} (versión ${answer.version})`, null);
  }
  const other = answer.kind === "other"
    ? ` (en ${host} responde un servidor que no es Ollama: HTTP ${answer.status})`
    : "";
  const installed = await whichOllama(path);
  if (installed && !installed.startsWith(OFFLINE_BIN_DIR)) {
    return online(
      `ollama está instalado (${installed}) pero no responde en ${host}${other}`,
      "start",
    );
  }
  if (await reachable("https://ollama.com", 3000)) {
    return online(
      `ollama no está instalado; ollama.com es accesible: se instala con scripts/ollama_install.sh${other}`,
      "install",
    );
  }
  return offline(`ni ollama instalado ni red hacia ollama.com${other}`);
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
  setup?: Pick<OllamaMode, "env">,
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
 * stopping left none behind. With `host`, only those serving it (the OLLAMA_HOST they were
 * started with, read from /proc; a process whose environment cannot be read counts): on a
 * shared machine, servers on other ports are someone else's.
 */
export async function ollamaServePids(host?: string): Promise<number[]> {
  const { stdout } = await new Deno.Command("pgrep", {
    args: ["-f", "ollama serve"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const pids = new TextDecoder().decode(stdout).split("\n").filter(Boolean).map(Number);
  return host === undefined ? pids : pids.filter((pid) => (servedHost(pid) ?? host) === host);
}

/** The base URL a process serves, from its OLLAMA_HOST (null when unreadable). */
function servedHost(pid: number): string | null {
  try {
    const env = Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
    const value = env.find((v) => v.startsWith("OLLAMA_HOST="))?.slice("OLLAMA_HOST=".length);
    return parseOllamaHost(value);
  } catch {
    return null;
  }
}
