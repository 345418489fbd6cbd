/**
 * What the Colab tests share: the options the committed copies are made with, the Python
 * kernel's environment, and small readers of notebooks and their outputs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib/core/paths.ts";
import { colabOptions, type NotebookJson } from "../scripts/colab_notebooks.ts";
import type { Notebook, Output } from "../scripts/nb.ts";
import { ensureKernelSpec, ensureNpmPackages } from "../scripts/setup.ts";
import { outputText } from "./_notebooks.ts";
import { NOTEBOOK_TEST_ENV } from "./notebooks/env.ts";

export const BRIDGE_DIR = join(ROOT, "scripts", "colab");
/** The options the committed copies are made with (the constants, whatever the environment). */
export const DEFAULTS = colabOptions({}, null); // no public URL known: the committed copies ask for it

/**
 * Environment of the Python kernel in these tests: offline, fake key, the kit = this
 * checkout (no clone, no update), the bridge importable (nothing to install).
 */
export const COLAB_TEST_ENV: Record<string, string> = {
  ...NOTEBOOK_TEST_ENV,
  KIT_DIR: ROOT,
  KIT_UPDATE: "0",
  PYTHONPATH: [BRIDGE_DIR, Deno.env.get("PYTHONPATH")].filter(Boolean).join(":"),
  PYDEVD_DISABLE_FILE_VALIDATION: "1", // ipykernel's debugger warnings on stderr
};

/** Makes sure set-up has nothing left to do, so the bootstrap must find everything present. */
export async function everythingPresent(): Promise<void> {
  ensureKernelSpec();
  await ensureNpmPackages();
}

export const readJson = (path: string): NotebookJson => JSON.parse(readFileSync(path, "utf8"));
export const codeCells = <C extends { cell_type: string }>(nb: { cells: C[] }): C[] =>
  nb.cells.filter((c) => c.cell_type === "code");
export const byId = (nb: Notebook, id: string) => nb.cells.find((c) => c.id === id)!;
export const textOf = (outs: Output[] | undefined) => (outs ?? []).map(outputText).join("\n");
