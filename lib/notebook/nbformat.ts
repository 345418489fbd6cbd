/**
 * The kit's one set of notebook types (nbformat v4: {@link Notebook}, {@link Cell},
 * {@link Output}) and cell helpers, used by the runner, the checks, the Colab generator and
 * the grader; and how exercise notebooks are marked up, read and written byte-for-byte
 * deterministically.
 *
 * A source notebook (`notebooks/ejercicios/fuentes/<set>_soluciones.ipynb`) declares its set
 * and exercises in the notebook metadata `kit_exercises: {set, exercises: [{id, title}]}`, and
 * tags its code cells with a role and, except for the global setup, an exercise:
 *
 * | tag | cell | in the student notebook | in the grader's sandbox |
 * |---|---|---|---|
 * | `setup` | imports, types, data (no `exercise:` tag: every exercise) | kept | taken from the source |
 * | `solution` | the functions to write, with `// BEGIN SOLUTION … // END SOLUTION` | regions → stub | the student's cell |
 * | `tests` | visible tests (`await test(name, points, fn)`) | kept | taken from the source |
 * | `hidden-tests` | tests only the grader runs | removed | taken from the source |
 * | `source-only` | instructor notes (any cell type) | removed | — |
 * | `exercise:<id>` | which exercise the cell belongs to | kept | — |
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** One output of a code cell (nbformat v4). */
export interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** One notebook cell (nbformat v4). */
export interface Cell {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata?: { tags?: string[]; [key: string]: unknown };
  outputs?: Output[];
  execution_count?: number | null;
  attachments?: unknown;
}

/** A notebook (nbformat v4): the parts the kit reads and writes. */
export interface Notebook {
  nbformat?: number;
  nbformat_minor?: number;
  metadata: {
    kernelspec?: { name?: string; language?: string; display_name?: string };
    [key: string]: unknown;
  };
  cells: Cell[];
}

/** Notebook metadata key that marks an exercise notebook. */
export const SET_KEY = "kit_exercises";

/** The roles a code cell can have (see the module doc). */
export type CellRole = "setup" | "solution" | "tests" | "hidden-tests";

/** One cell with its metadata always present (as exercise notebooks are written). */
export interface NbCell extends Cell {
  metadata: { tags?: string[]; [key: string]: unknown };
}

/** An exercise as the notebook metadata lists it. */
export interface ExerciseInfo {
  id: string;
  title: string;
}

/** What `kit_exercises` in the notebook metadata holds. */
export interface SetInfo {
  set: string;
  exercises: ExerciseInfo[];
}

/** An exercise notebook: a {@link Notebook} whose metadata may declare its set. */
export interface Nb extends Notebook {
  cells: NbCell[];
  metadata: Notebook["metadata"] & { [SET_KEY]?: SetInfo };
  nbformat: number;
  nbformat_minor: number;
}

/** Reads a notebook file. Throws a Spanish error when it is not a notebook. */
export function readNb(path: string): Nb {
  let nb: Nb;
  try {
    nb = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path} no es un cuaderno válido (JSON): ${(error as Error).message}`);
  }
  if (!Array.isArray(nb?.cells)) {
    throw new Error(`${path} no es un cuaderno (le faltan las celdas)`);
  }
  nb.metadata ??= {};
  return nb;
}

/** The source of a cell as one string. */
export function sourceOf(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source ?? "";
}

/** Splits a text into nbformat source lines (each keeps its "\n", the last has none). */
export function sourceLines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((line) => line !== "");
}

/** The tags of a cell. */
export function tagsOf(cell: NbCell): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** The role of a code cell (null for free cells). */
export function roleOf(cell: NbCell): CellRole | null {
  if (cell.cell_type !== "code") return null;
  const roles: CellRole[] = ["setup", "solution", "tests", "hidden-tests"];
  return roles.find((r) => tagsOf(cell).includes(r)) ?? null;
}

/** The exercise a cell belongs to (its `exercise:<id>` tag), or null. */
export function exerciseOf(cell: NbCell): string | null {
  const tag = tagsOf(cell).find((t) => t.startsWith("exercise:"));
  return tag ? tag.slice("exercise:".length) : null;
}

/** The set information of a notebook, or null when it is not an exercise notebook. */
export function setInfoOf(nb: Nb): SetInfo | null {
  const info = nb.metadata?.[SET_KEY];
  return info && typeof info.set === "string" && Array.isArray(info.exercises) ? info : null;
}

/**
 * Serializes a notebook the way the kit commits them: nbformat key order, sources as line
 * arrays, one-space indentation, a final newline. Same notebook → same bytes.
 */
export function serializeNb(nb: Nb): string {
  const cells = nb.cells.map((c) => {
    const out: Record<string, unknown> = { cell_type: c.cell_type };
    if (c.id !== undefined) out.id = c.id;
    out.metadata = c.metadata ?? {};
    if (c.attachments !== undefined) out.attachments = c.attachments;
    out.source = sourceLines(sourceOf(c));
    if (c.cell_type === "code") {
      out.execution_count = c.execution_count ?? null;
      out.outputs = c.outputs ?? [];
    }
    return out;
  });
  const doc = {
    cells,
    metadata: nb.metadata,
    nbformat: nb.nbformat,
    nbformat_minor: nb.nbformat_minor,
  };
  return JSON.stringify(doc, null, 1) + "\n";
}
