/** Test helpers: build notebooks, run them headless, read their outputs. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR } from "../lib/core/paths.ts";
import {
  type Cell,
  type Notebook,
  type Output,
  readNotebook,
  runNotebooks,
} from "../scripts/nb.ts";
import { cellSource } from "../scripts/check.ts";

/** A Deno-kernel notebook made of the given code cells. */
export function makeNotebook(codeCells: string[]): Notebook {
  return {
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: codeCells.map((source, i) => ({
      cell_type: "code",
      id: `cell-${i}`,
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    } as Cell)),
    nbformat: 4,
    nbformat_minor: 5,
  } as Notebook;
}

/** A fresh folder inside the project (so kernels started there find deno.json's imports). */
export function tempDir(prefix: string): string {
  const parent = join(CACHE_DIR, "tmp");
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, prefix));
}

/** Writes a notebook into a fresh temporary folder and returns its path. */
export function writeTempNotebook(nb: Notebook, name = "fixture.ipynb"): string {
  const path = join(tempDir("nb-"), name);
  writeFileSync(path, JSON.stringify(nb));
  return path;
}

/** Executes one notebook headless; returns the runner's exit code, stderr and executed copy. */
export async function execute(
  path: string,
  opts: { timeoutS?: number; env?: Record<string, string> } = {},
): Promise<{ code: number; stderr: string; nb: Notebook }> {
  const outDir = tempDir("out-");
  const res = await runNotebooks([path], { ...opts, outDir, capture: true });
  let nb: Notebook;
  try {
    nb = readNotebook(join(outDir, path.split("/").pop()!));
  } catch {
    nb = makeNotebook([]);
  }
  return { code: res.code, stderr: res.stderr, nb };
}

/** Joins a multiline nbformat string. */
export function joined(text: string | string[] | undefined): string {
  return Array.isArray(text) ? text.join("") : text ?? "";
}

/** Every text an output carries (stream text, or each MIME type's content), joined. */
export function outputText(out: Output): string {
  if (out.output_type === "stream") return joined(out.text);
  if (out.output_type === "error") return `${out.ename}: ${out.evalue}`;
  return Object.values(out.data ?? {}).map(joined).join("\n");
}

/** The code cell carrying a metadata tag (notebooks tag the cells tests look at). */
export function taggedCell(nb: Notebook, tag: string): Cell {
  const cell = nb.cells.find((c) => c.metadata?.tags?.includes(tag));
  if (!cell) throw new Error(`no cell tagged "${tag}"`);
  return cell;
}

/** All output text of the cell with the given tag. */
export function taggedText(nb: Notebook, tag: string): string {
  return (taggedCell(nb, tag).outputs ?? []).map(outputText).join("\n");
}

export { cellSource };

/** The content of one MIME type in the outputs of the cell with the given tag. */
export function taggedMime(nb: Notebook, tag: string, mime: string): string {
  const outs = taggedCell(nb, tag).outputs ?? [];
  return outs.filter((o) => o.data?.[mime] !== undefined).map((o) => joined(o.data![mime])).join(
    "\n",
  );
}
