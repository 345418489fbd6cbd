/**
 * `deno task colab` — generates notebooks/colab/*.ipynb, the Google Colab versions of the
 * course notebooks (notebooks/*.ipynb). Colab has no Deno runtime, so each copy:
 *
 * - declares a Python kernelspec (Colab's runtime);
 * - starts with an "Abrir en Colab" badge and a note saying it is generated;
 * - has a first code cell that runs scripts/colab_bootstrap.sh (Deno, the kit, the Deno
 *   kernelspec, the `%%deno` bridge) and loads the bridge (`%load_ext deno_bridge`);
 * - has a cell that copies the Colab secrets GROQ_API_KEY and HF_TOKEN into the Deno
 *   kernel's environment (never printing them);
 * - keeps every original cell: markdown unchanged, code cells prefixed with `%%deno`
 *   (same ids and tags), so they run in a real Deno kernel through scripts/colab/deno_bridge.py.
 *
 * `deno task colab --check` changes nothing and exits 1 when a committed copy is stale
 * (tests/colab_copies_test.ts checks the same).
 *
 * The repository: one setting, scripts/colab/repo.json, written by
 * `deno task colab --repo URL [--branch B]` (see scripts/colab_repo.ts for the fallbacks). When
 * no public URL is known, the copies carry no badge and their first cell asks for the URL in a
 * Colab form field, and checks it (GitHub URL, reachable, the kit) before cloning.
 *
 * Of the exercises, only the student notebooks (notebooks/ejercicios/alumno/) are converted, as
 * notebooks/colab/ejercicios_<name>.ipynb: the sources hold the solutions.
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { kitConfig, ROOT } from "../lib/core/mod.ts";
import { type Cell, type Notebook, sourceLines, sourceOf } from "../lib/notebook/mod.ts";

export { sourceLines };
import { COLAB_NOTEBOOKS_DIR } from "./check.ts";
import {
  CHECK_URL_PY,
  DEFAULT_BRANCH,
  githubHttps,
  readRepoFile,
  repoSetting,
  settingForWrite,
} from "./colab_repo.ts";

/** The branch the badges open and Colab clones, unless the setting names another. */
export const KIT_BRANCH = DEFAULT_BRANCH;

/** The graded exercises' student notebooks (built by `deno task exercises`). */
export const EXERCISES_STUDENT_DIR: string = join(ROOT, "notebooks", "ejercicios", "alumno");

/** Where the course notebooks live. */
export const NOTEBOOKS_DIR: string = join(ROOT, "notebooks");

/** Where the generated Colab copies go (scripts/check.ts leaves this folder out). */
export const COLAB_DIR: string = COLAB_NOTEBOOKS_DIR;

/** The first line of every converted code cell. */
export const DENO_MAGIC = "%%deno";

/** Ids of the cells the generator adds (tests look them up). */
export const COLAB_CELL_IDS = {
  intro: "colab-intro",
  setup: "colab-setup",
  secretsNote: "colab-secrets-note",
  secrets: "colab-secrets",
} as const;

/** Colab secrets copied into the Deno kernel's environment. */
export const COLAB_SECRETS = ["GROQ_API_KEY", "HF_TOKEN"] as const;

/** Badge image Colab publishes for "Open in Colab" links. */
export const COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg";

/** Repository (null: not known yet, the first cell asks for it) and branch of the copies. */
export interface ColabOptions {
  /** https://github.com/<owner>/<repo>, or null. */
  repoUrl: string | null;
  branch: string;
}

/**
 * The options the committed copies are checked against: scripts/colab/repo.json, else
 * KIT_REPO_URL / KIT_BRANCH, else no URL. (`deno task colab` also falls back to the origin
 * remote and saves what it used: see scripts/colab_repo.ts.)
 *
 * @example
 * ```ts
 * colabOptions({}, null); // { repoUrl: null, branch: "main" }
 * ```
 */
export function colabOptions(
  env: { url?: string; branch?: string } = kitConfig().colabRepo,
  file = readRepoFile(),
): ColabOptions {
  return repoSetting({ file, env });
}

/**
 * The Colab URL that opens a notebook of the repository.
 *
 * @example
 * ```ts
 * colabUrl({ repoUrl: "https://github.com/a/b", branch: "main" }, "notebooks/colab/x.ipynb");
 * // "https://colab.research.google.com/github/a/b/blob/main/notebooks/colab/x.ipynb"
 * ```
 */
export function colabUrl(opts: ColabOptions, path: string): string {
  const m = /^https:\/\/github\.com\/([^/]+)\/([^/]+)$/.exec(githubHttps(opts.repoUrl) ?? "");
  if (!m) {
    throw new Error(`KIT_REPO_URL must be https://github.com/<owner>/<repo>: ${opts.repoUrl}`);
  }
  return `https://colab.research.google.com/github/${m[1]}/${m[2]}/blob/${opts.branch}/${path}`;
}

/** Where Colab clones the kit: /content/<repo> (kit-llm-deno when the URL is not known yet). */
export function colabKitDir(opts: ColabOptions): string {
  return `/content/${opts.repoUrl?.split("/").pop() ?? "kit-llm-deno"}`;
}

/** A notebook as stored: the kit's one nbformat type. */
export type NotebookJson = Notebook;

/** One cell as stored. */
export type CellJson = Cell;

function markdownCell(id: string, text: string): CellJson {
  return { cell_type: "markdown", id, metadata: {}, source: sourceLines(text) };
}

function codeCell(id: string, text: string, metadata: Record<string, unknown> = {}): CellJson {
  return {
    cell_type: "code",
    execution_count: null,
    id,
    metadata,
    outputs: [],
    source: sourceLines(text),
  };
}

/** Python string literal (JSON's escaping is valid Python for the strings used here). */
const py = (s: string) => JSON.stringify(s);

/** Where a Colab copy comes from and where it runs, as paths relative to the kit root. */
export interface ColabPlace {
  /** The Deno notebook, e.g. notebooks/00_entorno.ipynb. */
  source: string;
  /** The Colab copy, e.g. notebooks/colab/00_entorno.ipynb. */
  target: string;
  /** The Deno kernel's working directory (the source notebook's folder). */
  cwd: string;
}

function introText(place: ColabPlace, opts: ColabOptions): string {
  const badge = opts.repoUrl
    ? [`[![Abrir en Colab](${COLAB_BADGE_IMAGE})](${colabUrl(opts, place.target)})`, ""]
    : [
      "> **Antes de empezar:** escribe en el campo «URL del repositorio del curso» de la primera",
      "> celda la dirección de GitHub del kit que te ha dado tu profesor (p. ej.",
      "> `https://github.com/organizacion/kit-llm-deno`) y ejecútala.",
      "",
    ];
  return [
    ...badge,
    `**Versión para Google Colab** de \`${place.source}\`. Colab no trae Deno: la primera celda`,
    "instala Deno y el kit, y cada celda `%%deno` se ejecuta en un kernel de Deno de verdad; sus",
    "salidas (texto, tablas, gráficos) aparecen aquí. El estado se conserva entre celdas `%%deno`.",
    "Si el kernel de Deno se cierra, la siguiente celda `%%deno` arranca uno nuevo (o usa",
    "`%deno_restart`) y hay que volver a ejecutar las celdas desde el principio.",
    "",
    "_Generado con `deno task colab` a partir del cuaderno original: no lo edites a mano._",
  ].join("\n");
}

function setupText(place: ColabPlace, opts: ColabOptions): string {
  return [
    "# @title Preparación: instala Deno y el kit, registra el kernel de Deno y activa las celdas %%deno.",
    "# La primera vez tarda unos minutos; después no repite lo que ya está hecho.",
    `url_del_repositorio_del_curso = ${py(opts.repoUrl ?? "")}  # @param {type:"string"}`,
    "import os, re, subprocess, sys",
    `KIT_BRANCH = ${py(opts.branch)}`,
    `DEFAULT_KIT_DIR = ${py(colabKitDir(opts))}`,
    ...CHECK_URL_PY,
    "WITH_OLLAMA = False  # True: instala también Ollama (curl -fsSL https://ollama.com/install.sh | sh)",
    'OLLAMA_FLAG = "--ollama" if WITH_OLLAMA else ""',
    '!PYTHON="{sys.executable}" bash "{KIT_DIR}/scripts/colab_bootstrap.sh" {OLLAMA_FLAG}',
    "if _exit_code != 0:",
    '    raise RuntimeError(f"La preparación falló (código {_exit_code}): el mensaje que empieza por «Error:» justo arriba "',
    '                       "dice en qué paso y por qué. Si es un fallo de red, vuelve a ejecutar la celda; si se repite, "',
    '                       "Entorno de ejecución → Desconectar y eliminar entorno, y empieza de nuevo.")',
    'if f"{KIT_DIR}/scripts/colab" not in sys.path:',
    '    sys.path.insert(0, f"{KIT_DIR}/scripts/colab")',
    "import deno_bridge",
    "deno_bridge.configure(",
    `    cwd=os.path.join(KIT_DIR, ${py(place.cwd)}),`,
    '    jupyter_path=os.path.join(KIT_DIR, ".cache", "jupyter"),',
    ")",
    "%load_ext deno_bridge",
  ].join("\n");
}

const SECRETS_NOTE = [
  "**Claves.** En Colab las claves se guardan en los _Secretos_ (icono 🔑 de la barra lateral):",
  "añade `GROQ_API_KEY` (método 4, Groq) y, si lo necesitas, `HF_TOKEN` (Hugging Face), y activa",
  "«Acceso desde el cuaderno». La celda siguiente las pasa al kernel de Deno sin mostrarlas nunca.",
  "Sin claves el cuaderno funciona igual, en modo _offline_ (y lo indica).",
].join("\n");

const SECRETS_CODE = `deno_bridge.load_colab_secrets([${
  COLAB_SECRETS.map((s) => py(s)).join(", ")
}])`;

/**
 * The Colab version of a Deno notebook: Python kernelspec, badge, bootstrap and secrets
 * cells, then the original cells (code prefixed with `%%deno`, markdown unchanged).
 *
 * @example
 * ```ts
 * const colab = toColabNotebook(nb, {
 *   source: "notebooks/00_entorno.ipynb",
 *   target: "notebooks/colab/00_entorno.ipynb",
 *   cwd: "notebooks",
 * }, colabOptions());
 * ```
 */
export function toColabNotebook(
  nb: NotebookJson,
  place: ColabPlace,
  opts: ColabOptions,
): NotebookJson {
  const cells: CellJson[] = [
    markdownCell(COLAB_CELL_IDS.intro, introText(place, opts)),
    codeCell(COLAB_CELL_IDS.setup, setupText(place, opts), { tags: ["colab-setup"] }),
    markdownCell(COLAB_CELL_IDS.secretsNote, SECRETS_NOTE),
    codeCell(COLAB_CELL_IDS.secrets, SECRETS_CODE, { tags: ["colab-secrets"] }),
  ];
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") {
      cells.push(structuredClone(cell));
      continue;
    }
    const source = sourceOf(cell);
    cells.push({
      cell_type: "code",
      execution_count: null,
      id: cell.id,
      metadata: structuredClone(cell.metadata ?? {}),
      outputs: [],
      source: sourceLines(`${DENO_MAGIC}\n${source}`),
    });
  }
  return {
    cells,
    metadata: {
      kernelspec: { name: "python3", display_name: "Python 3", language: "python" },
      language_info: { name: "python" },
      colab: { provenance: [] },
      kit: { generated_from: place.source, generator: "scripts/colab_notebooks.ts" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** A notebook serialized the way Jupyter writes it (one-space indent, final newline). */
export function notebookJson(nb: NotebookJson): string {
  return JSON.stringify(nb, null, 1) + "\n";
}

/** The course notebooks converted for Colab: notebooks/*.ipynb with a Deno kernelspec. */
export function sourceNotebooks(dir = NOTEBOOKS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ipynb"))
    .map((e) => join(dir, e.name))
    .filter((path) => {
      const nb = JSON.parse(readFileSync(path, "utf8")) as NotebookJson;
      return (nb.metadata.kernelspec as { name?: string } | undefined)?.name === "deno";
    })
    .sort();
}

/** The Colab version of one Deno notebook file, with paths relative to the kit root. */
export function colabVersionOf(
  sourcePath: string,
  opts: ColabOptions,
  targetPath = join(COLAB_DIR, basename(sourcePath)),
): NotebookJson {
  const nb = JSON.parse(readFileSync(sourcePath, "utf8")) as NotebookJson;
  const rel = (p: string) => relative(ROOT, p).split("\\").join("/");
  return toColabNotebook(nb, {
    source: rel(sourcePath),
    target: rel(targetPath),
    cwd: rel(dirname(sourcePath)) || ".",
  }, opts);
}

/** Every file notebooks/colab/ should hold: path → text. */
export function plannedColabFiles(opts: ColabOptions = colabOptions()): Map<string, string> {
  const files = new Map<string, string>();
  for (const source of sourceNotebooks()) {
    const target = join(COLAB_DIR, basename(source));
    files.set(target, notebookJson(colabVersionOf(source, opts, target)));
  }
  // The graded exercises' student notebook too (never the sources: they hold the solutions).
  // Its Deno kernel runs in its own folder, so its `../../../lib/…` imports reach the kit.
  for (const source of sourceNotebooks(EXERCISES_STUDENT_DIR)) {
    const target = join(COLAB_DIR, `ejercicios_${basename(source)}`);
    files.set(target, notebookJson(colabVersionOf(source, opts, target)));
  }
  return files;
}

/** The .ipynb files now in notebooks/colab/. */
export function existingColabFiles(): string[] {
  if (!existsSync(COLAB_DIR)) return [];
  return readdirSync(COLAB_DIR).filter((n) => n.endsWith(".ipynb")).map((n) => join(COLAB_DIR, n))
    .sort();
}

/** What differs between notebooks/colab/ and what the generator makes. */
export interface ColabDrift {
  /** Missing or different from the generated text. */
  stale: string[];
  /** In notebooks/colab/ without a source notebook. */
  extra: string[];
}

/** Compares notebooks/colab/ with the generator's output; changes nothing. */
export function colabDrift(opts: ColabOptions = colabOptions()): ColabDrift {
  const planned = plannedColabFiles(opts);
  const stale = [...planned].filter(([path, text]) =>
    !existsSync(path) || readFileSync(path, "utf8") !== text
  ).map(([path]) => path);
  const extra = existingColabFiles().filter((path) => !planned.has(path));
  return { stale, extra };
}

/** Writes notebooks/colab/ (only files that change) and removes copies without a source. */
export function writeColabNotebooks(opts: ColabOptions = colabOptions()): ColabDrift {
  const drift = colabDrift(opts);
  const planned = plannedColabFiles(opts);
  mkdirSync(COLAB_DIR, { recursive: true });
  for (const path of drift.stale) writeFileSync(path, planned.get(path)!);
  for (const path of drift.extra) rmSync(path);
  return drift;
}

if (import.meta.main) {
  const rel = (p: string) => relative(ROOT, p);
  if (Deno.args.includes("--check")) {
    const { stale, extra } = colabDrift(colabOptions());
    for (const p of stale) console.error(`colab: ${rel(p)} no está al día`);
    for (const p of extra) console.error(`colab: ${rel(p)} no tiene cuaderno de origen`);
    if (stale.length || extra.length) {
      console.error("Ejecuta «deno task colab» para regenerarlos.");
      Deno.exit(1);
    }
    console.log("colab: los cuadernos de notebooks/colab/ están al día.");
  } else {
    let opts: ColabOptions;
    try {
      opts = settingForWrite(Deno.args, colabOptions());
    } catch (e) {
      console.error(`colab: ${(e as Error).message}`);
      Deno.exit(4);
    }
    const { stale, extra } = writeColabNotebooks(opts);
    for (const p of stale) console.log(`colab: escrito ${rel(p)}`);
    for (const p of extra) console.log(`colab: borrado ${rel(p)} (sin cuaderno de origen)`);
    if (!stale.length && !extra.length) console.log("colab: nada que cambiar.");
    console.log(
      opts.repoUrl
        ? `colab: repositorio ${opts.repoUrl} (rama ${opts.branch}), guardado en scripts/colab/repo.json.`
        : "colab: no se conoce la URL pública del kit: la primera celda la pide (--repo URL la fija).",
    );
  }
}
