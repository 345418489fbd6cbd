/**
 * `deno task nb <notebook.ipynb>…` — executes notebooks headless in the Deno kernel and
 * writes the executed copies to out/executed/ (ignored). Exit codes come from the runner:
 * 0 ok, 1 error in a cell, 2 cell timeout, 3 kernel died, 4 bad usage.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import type { Notebook } from "../lib/notebook/mod.ts";

export type { Cell, Notebook, Output } from "../lib/notebook/mod.ts";
import { join, resolve } from "node:path";
import { JUPYTER_DIR, OUT_DIR, ROOT, SYSTEM_PYTHON } from "../lib/core/mod.ts";
import { setup, SetupError } from "./setup.ts";

/** Exit codes of scripts/run_notebook.py. */
export const NB_EXIT = { ok: 0, error: 1, timeout: 2, kernelDied: 3, usage: 4 } as const;

/** Options for {@link runNotebooks}. */
export interface RunOptions {
  /** Folder for the executed copies (default out/executed). */
  outDir?: string;
  /** Per-cell time limit in seconds (default NB_CELL_TIMEOUT or 600). */
  timeoutS?: number;
  /** Capture stdout/stderr instead of passing them through. */
  capture?: boolean;
  /** Extra environment for the kernel (added to this process's environment). */
  env?: Record<string, string>;
}

/** What a run of the notebook runner returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Executes notebooks with the kit's runner (scripts/run_notebook.py on Debian's Python,
 * with the project-local Deno kernelspec). Assumes set-up was done.
 *
 * @example
 * ```ts
 * const { code } = await runNotebooks(["notebooks/00_entorno.ipynb"]);
 * ```
 */
export async function runNotebooks(paths: string[], opts: RunOptions = {}): Promise<RunResult> {
  const args = [
    join(ROOT, "scripts", "run_notebook.py"),
    "--out",
    opts.outDir ?? join(OUT_DIR, "executed"),
  ];
  if (opts.timeoutS !== undefined) args.push("--timeout", String(opts.timeoutS));
  const io = opts.capture ? "piped" : "inherit";
  const child = new Deno.Command(SYSTEM_PYTHON, {
    args: [...args, ...paths],
    env: { ...opts.env, JUPYTER_PATH: JUPYTER_DIR, PYTHONUNBUFFERED: "1" },
    stdout: io,
    stderr: io,
  });
  const out = await child.output();
  if (!opts.capture) return { code: out.code, stdout: "", stderr: "" };
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Reads an executed copy written by {@link runNotebooks}. */
export function readNotebook(path: string): Notebook {
  return JSON.parse(readFileSync(path, "utf8"));
}

if (import.meta.main) {
  if (Deno.args.length === 0) {
    console.error("Uso: deno task nb <cuaderno.ipynb>…");
    Deno.exit(NB_EXIT.usage);
  }
  const missing = Deno.args.filter((p) => !existsSync(resolve(p)));
  if (missing.length) {
    console.error(`Error: no existe: ${missing.join(", ")}`);
    Deno.exit(NB_EXIT.usage);
  }
  try {
    await setup({ quiet: true });
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
  const { code } = await runNotebooks(Deno.args.map((p) => resolve(p)));
  Deno.exit(code);
}
