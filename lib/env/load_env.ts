/** Loading `.env` with dotenv, with messages a student can act on. */
import { config } from "dotenv";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./paths.ts";

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

/**
 * Finds lines of a .env text that dotenv would silently skip: anything that is not blank,
 * a `#` comment or `NAME=value` (quoted values may span lines). Returns 1-based numbers.
 *
 * @example
 * ```ts
 * malformedEnvLines("A=1\nesto no\n"); // [2]
 * ```
 */
export function malformedEnvLines(text: string): number[] {
  const bad: number[] = [];
  const lines = text.split(/\r?\n/);
  let openQuote: string | null = null;
  lines.forEach((line, i) => {
    if (openQuote) {
      if (line.includes(openQuote)) openQuote = null;
      return;
    }
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const m = NAME_EQ.exec(line);
    if (!m) {
      bad.push(i + 1);
      return;
    }
    const value = m[1].trimStart();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === "`") && !value.slice(1).includes(quote)) {
      openQuote = quote;
    }
  });
  return bad;
}

let toldNoEnv = false;

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
export function loadEnv(path = Deno.env.get("KIT_ENV_FILE") || join(ROOT, ".env")): EnvLoad {
  const result: EnvLoad = { path, found: existsSync(path), keys: [], badLines: [], messages: [] };
  const say = (msg: string) => {
    result.messages.push(msg);
    console.log(msg);
  };
  if (!result.found) {
    if (!toldNoEnv) {
      say(
        "No hay archivo .env: se usan los valores por defecto (modo sin claves). " +
          "Para configurar claves, copia .env.example a .env.",
      );
      toldNoEnv = true;
    }
    return result;
  }
  result.badLines = malformedEnvLines(readFileSync(path, "utf8"));
  for (const line of result.badLines) {
    say(`.env, línea ${line}: no tiene la forma NOMBRE=valor; se ignora.`);
  }
  const parsed = config({ path, quiet: true, processEnv: {} }).parsed ?? {};
  result.keys = Object.keys(parsed);
  for (const [key, value] of Object.entries(parsed)) {
    if (Deno.env.get(key) === undefined) Deno.env.set(key, value);
  }
  return result;
}
