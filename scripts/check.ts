/**
 * `deno task check [--graph]` — the layout rules (scripts/layout_rules.ts; `--graph` prints
 * which lib folder imports which), then type-checks lib, scripts, tests and every notebook's code cells,
 * checks notebooks are committed clean (Deno kernelspec, no outputs, no secrets), then
 * runs `deno lint` and `deno fmt --check` (notebooks are excluded from fmt: with a fresh
 * DENO_DIR, deno 2.9.6 reports .ipynb files as unformatted without showing any difference).
 *
 * @module
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { findSecrets, ROOT } from "../lib/core/mod.ts";
import { graphText, layoutViolations } from "./layout_rules.ts";
import { type Notebook, sourceOf } from "../lib/notebook/mod.ts";

/** The source of a cell as one string (the kit's one helper). */
export const cellSource = sourceOf;

/**
 * Generated Colab copies: Python kernelspec, `%%deno` cells. Left out of the Deno-kernel
 * checks here; tests/colab_*_test.ts check and execute them.
 */
export const COLAB_NOTEBOOKS_DIR: string = join(ROOT, "notebooks", "colab");

/** Every Deno-kernel .ipynb under notebooks/, sorted (notebooks/colab/ is left out). */
export function listNotebooks(dir = join(ROOT, "notebooks")): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== COLAB_NOTEBOOKS_DIR) found.push(...listNotebooks(path));
    } else if (entry.name.endsWith(".ipynb")) found.push(path);
  }
  return found.sort();
}

/** A notebook's code cells joined into one TypeScript module, in order. */
export function notebookModule(nb: Notebook): string {
  return nb.cells.filter((c) => c.cell_type === "code")
    .map((c, i) => `// --- celda ${i + 1}\n${sourceOf(c)}\n`)
    .join("\n") + "\nexport {};\n";
}

/**
 * Problems with how a notebook is committed: kernelspec must be Deno/TypeScript, no
 * outputs or execution counts, no secret-looking strings. Empty when all is well.
 */
export function notebookProblems(path: string): string[] {
  const text = readFileSync(path, "utf8");
  const nb: Notebook = JSON.parse(text);
  const problems: string[] = [];
  const spec = nb.metadata.kernelspec;
  if (spec?.name !== "deno" || spec?.language !== "typescript") {
    problems.push(
      `kernelspec is ${JSON.stringify(spec)}, expected name "deno", language "typescript"`,
    );
  }
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if ((cell.outputs ?? []).length) problems.push(`cell ${i + 1} has outputs`);
    if (cell.execution_count != null) problems.push(`cell ${i + 1} has an execution count`);
    // A forge folder exists only once something built it: notebooks ask ensureModel() for it.
    if ([cell.source].flat().join("").includes(".cache/models/")) {
      problems.push(
        `cell ${i + 1} reads a model folder by path (.cache/models/): use ensureModel()`,
      );
    }
  });
  for (const secret of findSecrets(text)) {
    problems.push(`secret-looking string ${secret.slice(0, 4)}…`);
  }
  return problems;
}

/**
 * Type-checks a notebook's code cells: joins them into a temporary module next to the
 * notebook (so relative imports resolve) and runs `deno check` on it.
 */
export async function typecheckNotebook(path: string): Promise<{ ok: boolean; output: string }> {
  const nb: Notebook = JSON.parse(readFileSync(path, "utf8"));
  const tmp = join(dirname(path), `.nbcheck_${basename(path, ".ipynb")}.ts`);
  writeFileSync(tmp, notebookModule(nb));
  try {
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", tmp],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const dec = new TextDecoder();
    return { ok: success, output: dec.decode(stdout) + dec.decode(stderr) };
  } finally {
    rmSync(tmp, { force: true });
  }
}

async function step(label: string, args: string[]): Promise<boolean> {
  console.log(`check: ${label}`);
  const { success } = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT }).output();
  if (!success) console.error(`check: ${label} FAILED`);
  return success;
}

if (import.meta.main) {
  if (Deno.args.includes("--graph")) console.log(graphText(ROOT));
  const layout = layoutViolations(ROOT);
  for (const v of layout) console.error(`check: layout rule ${v.rule}: ${v.file}: ${v.message}`);
  console.log(`check: layout rules (${layout.length ? "FAILED" : "ok"})`);
  let ok = layout.length === 0;
  ok = (await step("deno check lib scripts tests", [
    "check",
    "--quiet",
    "lib",
    "scripts",
    "tests",
  ])) && ok;
  for (const nb of listNotebooks()) {
    const rel = relative(ROOT, nb);
    const problems = notebookProblems(nb);
    for (const p of problems) console.error(`check: ${rel}: ${p}`);
    const typed = await typecheckNotebook(nb);
    if (!typed.ok) console.error(`check: ${rel}: type errors\n${typed.output}`);
    ok &&= problems.length === 0 && typed.ok;
  }
  ok = (await step("deno lint", ["lint", "--quiet"])) && ok;
  ok = (await step("deno fmt --check", ["fmt", "--check", "--quiet"])) && ok;
  if (!ok) Deno.exit(1);
  console.log("check: all good");
}
