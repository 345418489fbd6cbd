/**
 * `deno task grade <cuaderno.ipynb | carpeta>… [--out DIR] [--time-limit S] [--json]` —
 * grades exercise notebooks in the sandbox (no network, no writes, no subprocesses, no FFI,
 * no environment; a time, memory and output limit per exercise), prints a summary with Spanish
 * feedback per failed test, and writes grades.json and grades.csv (one row per student per
 * exercise) into out/grading/ (or --out), each atomically. The output folder is checked
 * before grading. Exit codes: 0 graded, 1 nothing to grade, an error in the exercise sources
 * or the reports could not be written, 2 bad usage or an unusable output folder.
 *
 * @module
 */
import { join, relative } from "node:path";
import { OUT_DIR, ROOT } from "../lib/core/mod.ts";
import {
  checkOutDir,
  findSubmissions,
  gradeSubmissions,
  summaryText,
  writeReports,
} from "../lib/grading/mod.ts";

const USAGE = "Uso: deno task grade <cuaderno.ipynb | carpeta>… [--out CARPETA] " +
  "[--time-limit SEGUNDOS] [--json]";

/** The accepted range of --time-limit, seconds. */
export const TIME_LIMIT_RANGE = { min: 1, max: 600 };

/** Parsed command line. */
export interface GradeArgs {
  paths: string[];
  out: string;
  timeLimitS?: number;
  json: boolean;
}

/** Parses the command line; throws a Spanish usage error. */
export function parseArgs(args: string[]): GradeArgs {
  const parsed: GradeArgs = { paths: [], out: join(OUT_DIR, "grading"), json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--out") parsed.out = args[++i] ?? "";
    else if (a === "--time-limit") parsed.timeLimitS = Number(args[++i] ?? NaN);
    else if (a === "--json") parsed.json = true;
    else if (a.startsWith("--")) throw new Error(`opción desconocida: ${a}`);
    else parsed.paths.push(a);
  }
  if (!parsed.paths.length || !parsed.out) throw new Error("falta qué corregir");
  const { min, max } = TIME_LIMIT_RANGE;
  if (
    parsed.timeLimitS !== undefined &&
    !(parsed.timeLimitS >= min && parsed.timeLimitS <= max)
  ) {
    throw new Error(
      `--time-limit necesita un número de segundos entre ${min} y ${max} (cada ejercicio de ` +
        "cada entrega tiene ese tiempo; la solución de referencia también)",
    );
  }
  return parsed;
}

if (import.meta.main) {
  let args: GradeArgs;
  try {
    args = parseArgs(Deno.args);
  } catch (error) {
    console.error(`Error: ${(error as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  let files: string[];
  try {
    files = args.paths.flatMap(findSubmissions);
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    Deno.exit(2);
  }
  if (!files.length) {
    console.error("No hay cuadernos (.ipynb) que corregir.");
    Deno.exit(1);
  }
  try { // before grading: a bad --out must not cost the whole grading
    checkOutDir(args.out);
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    Deno.exit(2);
  }
  const progress = !args.json && Deno.stderr.isTerminal()
    ? (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text))
    : null;
  const shown = (path: string) => (path.startsWith(ROOT) ? relative(ROOT, path) : path);
  try {
    const report = await gradeSubmissions(files, {
      limits: args.timeLimitS ? { timeLimitMs: args.timeLimitS * 1000 } : undefined,
      onProgress: (done, total) => {
        if (progress) progress(`\rcorrigiendo: ${done}/${total} ejercicios`);
      },
    });
    if (progress) progress("\r\x1b[K");
    const written = writeReports(report, args.out);
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(summaryText(report));
      console.log(`\nInformes: ${shown(written.json)}, ${shown(written.csv)}`);
    }
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
