/**
 * The kit's one configuration: every environment variable the kit reads is read here, after
 * `.env` is loaded (once, with dotenv), so notebooks, scripts and the library get the same
 * answer. Other modules call {@link kitConfig} (or {@link childEnv} for child processes) and
 * never read `Deno.env` themselves (`deno task check` enforces it).
 *
 * @module
 */
import { config } from "dotenv";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./paths.ts";
import { SECRET_VARS, secretRows } from "./secrets.ts";

/** What {@link loadEnv} found. */
export interface EnvLoad {
  /** The file read (or looked for). */
  path: string;
  /** Whether the file existed. */
  found: boolean;
  /** Variable names the file defines (never their values). */
  keys: string[];
  /** 1-based numbers of lines that are not `NAME=value`, a comment or blank. */
  badLines: number[];
  /** Messages already printed for the student (Spanish). */
  messages: string[];
}

const NAME_EQ = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=(.*)$/;

/** A line of a .env text that will not be read as meant, and why (Spanish; never the value). */
export interface EnvProblem {
  /** 1-based line number. */
  line: number;
  why: string;
}

/**
 * Finds the lines of a .env text that will not be read as meant: anything that is not blank,
 * a `#` comment or `NAME=value`, and a value that opens a quote and never closes it, or closes
 * it only after lines that look like `NAME=value` (dotenv would keep the stray quote in the
 * value, or swallow those variables into it). A quoted value spanning plain lines is fine.
 *
 * @example
 * ```ts
 * envProblems('A=1\nesto no\nB="abc\n').map((p) => p.line); // [2, 3]
 * ```
 */
export function envProblems(text: string): EnvProblem[] {
  const problems: EnvProblem[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const m = NAME_EQ.exec(line);
    if (!m) {
      problems.push({ line: i + 1, why: "no tiene la forma NOMBRE=valor; se ignora" });
      continue;
    }
    const value = m[1].trimStart();
    const quote = value[0];
    if (!(quote === '"' || quote === "'" || quote === "`") || value.slice(1).includes(quote)) {
      continue;
    }
    const close = lines.findIndex((l, j) => j > i && l.includes(quote));
    const swallowed = lines.slice(i + 1, close < 0 ? lines.length : close + 1)
      .findIndex((l) => NAME_EQ.test(l));
    if (close >= 0 && swallowed < 0) {
      i = close; // a multi-line value
      continue;
    }
    const name = line.slice(0, line.indexOf("=")).replace(/^\s*export\s+/, "").trim();
    problems.push({
      line: i + 1,
      why: `el valor de ${name} abre una comilla (${quote}) que no se cierra en esa línea` +
        (close < 0 ? "" : ` (se tragaría la línea ${i + 2 + swallowed})`) +
        ": ciérrala o quítala",
    });
  }
  return problems;
}

/**
 * Line numbers of {@link envProblems} (1-based).
 *
 * @example
 * ```ts
 * malformedEnvLines("A=1\nesto no\n"); // [2]
 * ```
 */
export function malformedEnvLines(text: string): number[] {
  return envProblems(text).map((p) => p.line);
}

let toldNoEnv = false;
let loadedFrom: string | null = null;
const setFromFile = new Set<string>();

/** Whether the variable's current value came from the `.env` file (not the environment). */
export function loadedFromEnvFile(name: string): boolean {
  return setFromFile.has(name);
}

/**
 * Loads `.env` (default: KIT_ENV_FILE, else the project root's) into Deno.env with dotenv, never overriding
 * variables already set in the environment. With no file it says once that defaults are
 * used; a malformed line is reported by its number (not its content, which may hold a
 * secret) and skipped.
 *
 * @example
 * ```ts
 * const env = loadEnv();
 * env.keys; // ["GROQ_API_KEY", …]
 * ```
 */
export function loadEnv(
  path = Deno.env.get("KIT_ENV_FILE") || join(ROOT, ".env"),
  opts: { quiet?: boolean } = {},
): EnvLoad {
  const result: EnvLoad = { path, found: existsSync(path), keys: [], badLines: [], messages: [] };
  const say = (msg: string) => {
    result.messages.push(msg);
    if (!opts.quiet) console.log(msg);
  };
  loadedFrom = path;
  if (!result.found) {
    if (!toldNoEnv && !opts.quiet) {
      say(
        "No hay archivo .env: se usan los valores por defecto (modo sin claves).\n" +
          "Para configurar claves, copia .env.example a .env.",
      );
      toldNoEnv = true;
    }
    return result;
  }
  const problems = envProblems(readFileSync(path, "utf8"));
  result.badLines = problems.map((p) => p.line);
  for (const { line, why } of problems) say(`.env, línea ${line}: ${why}.`);
  const parsed = config({ path, quiet: true, processEnv: {} }).parsed ?? {};
  result.keys = Object.keys(parsed);
  for (const [key, value] of Object.entries(parsed)) {
    if (Deno.env.get(key) === undefined) {
      Deno.env.set(key, value);
      setFromFile.add(key);
    }
  }
  return result;
}

/** Default Ollama address, as the Ollama CLI and server use it. */
export const OLLAMA_DEFAULT_HOST = "http://127.0.0.1:11434";

/** Groq's API base URL when GROQ_BASE_URL is not set (groq-sdk's own default). */
export const GROQ_DEFAULT_BASE_URL = "https://api.groq.com";

/** Hugging Face hub address when HF_ENDPOINT is not set (huggingface_hub's convention). */
export const HF_DEFAULT_ENDPOINT = "https://huggingface.co";

/**
 * The Ollama base URL from an OLLAMA_HOST value, read the way Ollama reads it: scheme optional
 * (http), port optional (11434), and 0.0.0.0 (listen everywhere) reached as 127.0.0.1.
 * Throws a Spanish {@link Error} for a value that is not an address.
 *
 * @example
 * ```ts
 * parseOllamaHost("0.0.0.0"); // "http://127.0.0.1:11434"
 * ```
 */
export function parseOllamaHost(value: string | undefined): string {
  const raw = value?.trim();
  if (!raw) return OLLAMA_DEFAULT_HOST;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new Error(
      `OLLAMA_HOST="${raw}" no es una dirección válida: usa host, host:puerto o una URL ` +
        `(p. ej. 127.0.0.1:11434).`,
    );
  }
  if (!/^https?:$/.test(url.protocol) || !url.hostname) {
    throw new Error(
      `OLLAMA_HOST="${raw}" no es una dirección http(s) válida: usa host, host:puerto o una URL.`,
    );
  }
  if (!url.port) url.port = url.protocol === "https:" ? "443" : "11434";
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  return url.origin + url.pathname.replace(/\/$/, "");
}

/** True for the values that mean "yes" in a flag variable (1, true, yes, sí). */
export function isYes(value: string | undefined): boolean {
  return /^(1|true|yes|s[ií])$/i.test(value?.trim() ?? "");
}

/** Everything the kit reads from the environment, in one place. */
export interface KitConfig {
  /** KIT_OFFLINE: offline mode asked for (no network probes). */
  offline: boolean;
  /** The `.env` file read (KIT_ENV_FILE, else the project root's). */
  envFile: string;
  ollama: {
    /** Base URL from OLLAMA_HOST (null when the value is not an address; see hostError). */
    host: string | null;
    /** Why OLLAMA_HOST could not be used (Spanish), or null. */
    hostError: string | null;
    /** The raw OLLAMA_HOST value (the stand-in listens where it says). */
    hostRaw: string | undefined;
    /** OLLAMA_MODEL, when set. */
    model: string | undefined;
  };
  groq: {
    /** GROQ_API_KEY, when set (never print it: see maskSecret). */
    apiKey: string | undefined;
    /** GROQ_BASE_URL without trailing slash, else Groq's. */
    baseURL: string;
    /** Whether GROQ_BASE_URL was set. */
    baseURLSet: boolean;
    /** GROQ_MODEL, when set. */
    model: string | undefined;
  };
  hf: {
    /** HF_TOKEN, when set. */
    token: string | undefined;
    /** HF_ENDPOINT (a hub mirror), else huggingface.co. */
    endpoint: string;
  };
  /** Whether this runs on Google Colab (its runtime sets COLAB_RELEASE_TAG / COLAB_GPU). */
  colab: boolean;
  /** PATH, as the scripts see it. */
  path: string;
  /** NB_CELL_TIMEOUT in seconds, when set. */
  nbCellTimeoutS: number | undefined;
  /** Where Vulkan's loader and drivers may be (LD_LIBRARY_PATH, VK_DRIVER_FILES, XDG_DATA_DIRS). */
  vulkan: { libraryPath: string[]; driverFiles: string[]; dataDirs: string[] };
  /** Benchmarks: BENCH_DENO_FLAGS, and OUT (the GPU machine's output folder). */
  bench: { denoFlags: string[]; outDir: string | undefined };
  /** The Colab generator: KIT_REPO_URL and KIT_BRANCH, when set. */
  colabRepo: { url: string | undefined; branch: string | undefined };
  /** KIT_EXIT_WITH_STDIN: a server the kit started ends when its stdin closes (its parent ended). */
  exitWithStdin: boolean;
}

const get = (name: string): string | undefined => {
  const v = Deno.env.get(name)?.trim();
  return v ? v : undefined;
};
const list = (name: string): string[] => (Deno.env.get(name) ?? "").split(":").filter(Boolean);

/**
 * Reads the configuration now: loads `.env` first (once per process, quietly: notebook 00
 * shows what it found), then every variable. Values set in the real environment win over
 * `.env`. Call it again after changing the environment (tests do).
 *
 * @example
 * ```ts
 * const { offline, ollama } = kitConfig();
 * ```
 */
export function kitConfig(): KitConfig {
  const envFile = Deno.env.get("KIT_ENV_FILE") || join(ROOT, ".env");
  if (loadedFrom !== envFile) loadEnv(envFile, { quiet: true });
  const hostRaw = get("OLLAMA_HOST");
  let host: string | null = null;
  let hostError: string | null = null;
  try {
    host = parseOllamaHost(hostRaw);
  } catch (e) {
    hostError = (e as Error).message;
  }
  const baseURL = get("GROQ_BASE_URL");
  const timeout = Number(get("NB_CELL_TIMEOUT"));
  return {
    offline: isYes(Deno.env.get("KIT_OFFLINE")),
    envFile,
    ollama: { host, hostError, hostRaw, model: get("OLLAMA_MODEL") },
    groq: {
      apiKey: get("GROQ_API_KEY"),
      baseURL: (baseURL ?? GROQ_DEFAULT_BASE_URL).replace(/\/+$/, ""),
      baseURLSet: baseURL !== undefined,
      model: get("GROQ_MODEL"),
    },
    hf: {
      token: get("HF_TOKEN"),
      endpoint: (get("HF_ENDPOINT") ?? HF_DEFAULT_ENDPOINT).replace(/\/+$/, ""),
    },
    colab: Boolean(get("COLAB_RELEASE_TAG") || Deno.env.get("COLAB_GPU") !== undefined),
    path: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    nbCellTimeoutS: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
    vulkan: {
      libraryPath: list("LD_LIBRARY_PATH"),
      driverFiles: [...list("VK_DRIVER_FILES"), ...list("VK_ICD_FILENAMES")],
      dataDirs: list("XDG_DATA_DIRS"),
    },
    bench: {
      denoFlags: (get("BENCH_DENO_FLAGS") ?? "").split(" ").filter(Boolean),
      outDir: get("OUT"),
    },
    colabRepo: { url: get("KIT_REPO_URL"), branch: get("KIT_BRANCH") },
    exitWithStdin: isYes(Deno.env.get("KIT_EXIT_WITH_STDIN")),
  };
}

/**
 * The environment for a child process the kit starts (stand-in servers, workers): this
 * process's environment without the secrets, plus `extra`.
 *
 * @example
 * ```ts
 * new Deno.Command("deno", { clearEnv: true, env: childEnv({ NO_COLOR: "1" }) });
 * ```
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  kitConfig();
  const env = Deno.env.toObject();
  for (const name of Object.keys(SECRET_VARS)) delete env[name];
  return { ...env, ...extra };
}

/** The current value of a secret variable (for masking and redaction only). */
export function secretValue(name: keyof typeof SECRET_VARS): string | undefined {
  kitConfig();
  return get(name);
}

/**
 * One row per known secret (GROQ_API_KEY, HF_TOKEN): whether it is set, masked, and where to
 * get it.
 *
 * @example
 * ```ts
 * secretStatus()[0]; // { variable: "GROQ_API_KEY", status: "no definida", getItAt: "https://…" }
 * ```
 */
export function secretStatus(): { variable: string; status: string; getItAt: string }[] {
  return secretRows((name) => secretValue(name as keyof typeof SECRET_VARS));
}
