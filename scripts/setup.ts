/**
 * Brings in what the kit needs, once: Debian's Jupyter packages and Spanish dictionary
 * (apt-get, only as root), a project-local Deno kernelspec and the npm packages. A second run
 * does nothing it already did. Run with `deno task setup`; `test`, `nb` and `demo` call it first.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, JUPYTER_DIR, ROOT, SYSTEM_PYTHON } from "../lib/core/mod.ts";

/**
 * Debian packages the headless runner needs (jupyter_client + nbformat on /usr/bin/python3),
 * the Python kernel (ipykernel) the Colab notebooks are tested in (tests/colab_run_test.ts),
 * and hunspell's Spanish dictionary that `deno task eval-model` counts Spanish words with.
 */
export const APT_PACKAGES = [
  "python3-jupyter-client",
  "python3-nbformat",
  "python3-ipykernel",
  "hunspell",
  "hunspell-es",
];

/** The exact command a non-root user must run to get {@link APT_PACKAGES}. */
export const APT_INSTALL_COMMAND = `sudo apt-get install -y --no-install-recommends ${
  APT_PACKAGES.join(" ")
}`;

/** hunspell's Spanish dictionary (Debian's hunspell-es). */
export const SPANISH_DICTIONARY = "/usr/share/hunspell/es_ES.dic";

/** Thrown when set-up cannot continue; the message says what to do (Spanish: a student reads it). */
export class SetupError extends Error {
  override name = "SetupError";
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false; // the program itself is missing
  }
}

/**
 * True when `python` (default /usr/bin/python3) can import what the notebook runner uses
 * and the Python kernel of the Colab notebooks' tests.
 */
export function hasJupyter(python = SYSTEM_PYTHON): Promise<boolean> {
  return succeeds(python, ["-c", "import jupyter_client, nbformat, zmq, ipykernel"]);
}

async function run(cmd: string, args: string[]): Promise<void> {
  const { success, code } = await new Deno.Command(cmd, {
    args,
    stdout: "inherit",
    stderr: "inherit",
    env: { DEBIAN_FRONTEND: "noninteractive" },
  }).output();
  if (!success) throw new SetupError(`Falló «${cmd} ${args.join(" ")}» (código ${code}).`);
}

/** True when hunspell and its Spanish dictionary are installed. */
export async function hasSpanishDictionary(dictionary = SPANISH_DICTIONARY): Promise<boolean> {
  return existsSync(dictionary) && await succeeds("hunspell", ["-v"]);
}

/**
 * Installs {@link APT_PACKAGES} when Jupyter or the Spanish dictionary is missing: with apt-get
 * when running as root, otherwise throws a SetupError carrying the exact command to run.
 * Returns true when it installed something.
 */
export async function ensureAptPackages(
  { isRoot = Deno.uid() === 0, python = SYSTEM_PYTHON, dictionary = SPANISH_DICTIONARY } = {},
): Promise<boolean> {
  const ready = async () => await hasJupyter(python) && await hasSpanishDictionary(dictionary);
  if (await ready()) return false;
  if (!isRoot) {
    throw new SetupError(
      "Faltan paquetes de Debian que usa el kit (Jupyter para ejecutar cuadernos, el " +
        "diccionario español de hunspell para medir las respuestas).\n" +
        `Instálalos con:\n\n  ${APT_INSTALL_COMMAND}\n`,
    );
  }
  console.log(`Instalando con apt-get: ${APT_PACKAGES.join(" ")}`);
  const install = ["install", "-y", "-q", "--no-install-recommends", ...APT_PACKAGES];
  // Fresh containers often ship without package lists: update once, then retry.
  if (!await succeeds("apt-get", install)) {
    await run("apt-get", ["update", "-q"]);
    await run("apt-get", install);
  }
  if (!await hasJupyter(python)) {
    throw new SetupError(`apt-get terminó, pero ${python} sigue sin ver jupyter_client.`);
  }
  if (!await hasSpanishDictionary(dictionary)) {
    throw new SetupError(`apt-get terminó, pero sigue faltando hunspell o ${dictionary}.`);
  }
  return true;
}

/** A Jupyter kernelspec (kernel.json). */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  env: Record<string, string>;
}

/** The kernelspec the kit uses: this very Deno binary, no colours in text/plain results. */
export function denoKernelSpec(denoPath = Deno.execPath()): KernelSpec {
  return {
    argv: [denoPath, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
    env: { NO_COLOR: "1" },
  };
}

/**
 * Writes the project-local Deno kernelspec under .cache/jupyter (found through
 * JUPYTER_PATH; nothing is written into $HOME). Returns true when it changed the file.
 */
export function ensureKernelSpec(jupyterDir = JUPYTER_DIR): boolean {
  const dir = join(jupyterDir, "kernels", "deno");
  const file = join(dir, "kernel.json");
  const text = JSON.stringify(denoKernelSpec(), null, 2) + "\n";
  if (existsSync(file) && readFileSync(file, "utf8") === text) return false;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text);
  return true;
}

/**
 * Installs the npm packages pinned in deno.json into node_modules, unless deno.json,
 * deno.lock and the Deno version are the same as at the last install.
 * Returns true when it ran the install.
 */
export async function ensureNpmPackages(): Promise<boolean> {
  const stamp = join(CACHE_DIR, "npm-install.stamp");
  const lock = join(ROOT, "deno.lock");
  const key = [
    Deno.version.deno,
    readFileSync(join(ROOT, "deno.json"), "utf8"),
    existsSync(lock) ? readFileSync(lock, "utf8") : "",
  ].join("\n");
  const installed = existsSync(join(ROOT, "node_modules", ".deno"));
  if (installed && existsSync(stamp) && readFileSync(stamp, "utf8") === key) return false;
  console.log("Instalando los paquetes npm del kit (deno install)…");
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--quiet"],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) {
    throw new SetupError("«deno install» falló: revisa la conexión con el registro npm.");
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(stamp, key);
  return true;
}

/** Runs every set-up step; prints what it did (or nothing with `quiet` when all was done). */
export async function setup({ quiet = false } = {}): Promise<void> {
  const did: string[] = [];
  if (await ensureAptPackages()) did.push("paquetes de Debian instalados con apt-get");
  if (ensureKernelSpec()) did.push(`kernel de Deno registrado en ${JUPYTER_DIR}`);
  if (await ensureNpmPackages()) did.push("paquetes npm instalados");
  if (did.length) console.log(`Preparación: ${did.join("; ")}.`);
  else if (!quiet) console.log("Preparación: todo estaba listo, no hizo falta nada.");
}

if (import.meta.main) {
  try {
    await setup({ quiet: Deno.args.includes("--quiet") });
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
}
