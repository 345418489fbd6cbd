/**
 * Where the kit keeps things. Everything generated lives in two ignored folders at the
 * project root: `.cache/` (internals: Jupyter kernelspec, model caches, stamps) and `out/`
 * (what a person opens: executed notebooks, reports).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** Absolute path of the project root (the folder holding deno.json). */
export const ROOT: string = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** Ignored folder for internal caches. */
export const CACHE_DIR: string = join(ROOT, ".cache");

/** Ignored folder for outputs a person opens (executed notebooks, reports). */
export const OUT_DIR: string = join(ROOT, "out");

/** Project-local Jupyter data dir; `JUPYTER_PATH` points here so nothing is written in $HOME. */
export const JUPYTER_DIR: string = join(CACHE_DIR, "jupyter");

/** The Python that sees Debian's Jupyter packages (a pyenv `python3` on PATH does not). */
export const SYSTEM_PYTHON = "/usr/bin/python3";
