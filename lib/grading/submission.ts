/**
 * Finding and reading submissions safely: only regular files are read (a symbolic link is
 * reported, never followed: it could point at the solutions, `.env` or `/etc/passwd`), the
 * size is capped, the text must be UTF-8 and JSON, and every cell must be a well-formed
 * nbformat cell. Error messages are Spanish and never quote the file's content.
 *
 * @module
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Nb, NbCell } from "../notebook/nbformat.ts";

/** The largest notebook read, bytes (a course notebook with outputs is a few MB). */
export const MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024;

/**
 * The notebooks to grade: the file itself, or every .ipynb under a folder (sorted). Symbolic
 * links to files are listed (the grader reports them as not gradable); links to folders are
 * not followed.
 */
export function findSubmissions(path: string): string[] {
  const full = resolve(path);
  let stat;
  try {
    stat = lstatSync(full);
  } catch {
    throw new Error(`no existe: ${path}`);
  }
  if (!stat.isDirectory()) return [full];
  const found: string[] = [];
  for (const entry of readdirSync(full, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const p = join(full, entry.name);
    if (entry.isDirectory()) found.push(...findSubmissions(p));
    else if (entry.name.endsWith(".ipynb")) found.push(p);
  }
  return found.sort();
}

/**
 * The student id of a submission: its file name without `.ipynb` (`ana_garcia.ipynb` →
 * `ana_garcia`), or the folder's name when the file kept the notebook's own name
 * (`ana_garcia/optimizacion.ipynb` → `ana_garcia`).
 *
 * @example
 * ```ts
 * studentIdOf("entregas/ana/optimizacion.ipynb", "optimizacion"); // "ana"
 * ```
 */
export function studentIdOf(path: string, set: string): string {
  const stem = basename(path).replace(/\.ipynb$/, "");
  return stem === set ? basename(dirname(resolve(path))) : stem;
}

/** What is wrong with a cell, or null when it is a well-formed nbformat cell. */
function cellProblem(cell: unknown): string | null {
  if (typeof cell !== "object" || cell === null || Array.isArray(cell)) return "no es un objeto";
  const c = cell as Record<string, unknown>;
  if (!["code", "markdown", "raw"].includes(c.cell_type as string)) {
    return "su cell_type no es code, markdown ni raw";
  }
  const src = c.source;
  const okSource = typeof src === "string" ||
    (Array.isArray(src) && src.every((line) => typeof line === "string"));
  if (!okSource) return "su source no es texto ni una lista de líneas";
  if (c.metadata !== undefined && (typeof c.metadata !== "object" || c.metadata === null)) {
    return "su metadata no es un objeto";
  }
  const tags = (c.metadata as { tags?: unknown } | undefined)?.tags;
  if (tags !== undefined && !Array.isArray(tags)) return "sus tags no son una lista";
  if (c.id !== undefined && typeof c.id !== "string") return "su id no es texto";
  return null;
}

/**
 * Reads a submission. Throws a Spanish error (naming the file, never quoting its content)
 * when it is a symbolic link or not a regular file, too big, not UTF-8, not JSON, or not a
 * notebook with well-formed cells.
 */
export function readSubmission(path: string): Nb {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    throw new Error(`no se pudo leer ${path} (${(error as { code?: string }).code ?? "error"})`);
  }
  if (stat.isSymbolicLink()) {
    throw new Error(
      `${path} es un enlace simbólico: no se sigue (podría apuntar a otro archivo); pide la ` +
        "entrega como un archivo normal.",
    );
  }
  if (!stat.isFile()) throw new Error(`${path} no es un archivo normal`);
  if (stat.size > MAX_NOTEBOOK_BYTES) {
    throw new Error(
      `${path} ocupa ${Math.round(stat.size / 1024 / 1024)} MB, más de los ` +
        `${MAX_NOTEBOOK_BYTES / 1024 / 1024} MB que se aceptan: ¿lleva salidas enormes? ` +
        "Bórralas (Editar → Borrar todas las salidas) y vuelve a entregarlo.",
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(path));
  } catch {
    throw new Error(`${path} no es un cuaderno válido: su texto no está en UTF-8`);
  }
  let nb: Nb;
  try {
    nb = JSON.parse(text);
  } catch {
    throw new Error(`${path} no es un cuaderno válido: no es JSON (¿está cortado o dañado?)`);
  }
  if (typeof nb !== "object" || nb === null || !Array.isArray(nb.cells)) {
    throw new Error(`${path} no es un cuaderno (le faltan las celdas)`);
  }
  for (let i = 0; i < nb.cells.length; i++) {
    const problem = cellProblem(nb.cells[i]);
    if (problem) {
      throw new Error(`${path} no es un cuaderno válido: la celda ${i + 1} ${problem}`);
    }
    (nb.cells[i] as NbCell).metadata ??= {};
  }
  if (typeof nb.metadata !== "object" || nb.metadata === null || Array.isArray(nb.metadata)) {
    nb.metadata = {};
  }
  return nb;
}
