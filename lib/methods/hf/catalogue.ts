/**
 * The model catalogue (data/models.json) and how a model name becomes something
 * transformers.js can load: a forge preset (built on first use), a hub id, or a folder.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { KitError } from "../../core/errors.ts";

const unknownModel = (message: string) => new KitError(message, { kind: "not-found" });
import { basename, dirname, join, resolve } from "node:path";
import { CACHE_DIR, ROOT } from "../../core/paths.ts";
import { kitConfig } from "../../core/config.ts";
import type { Dtype, LlamaDims } from "../../measure/memory.ts";
import { ensureModel } from "../../forge/mod.ts";

/** One catalogue entry. */
export interface CatalogueEntry {
  id: string;
  source: "forge" | "hub";
  description: string;
  /** Hyper-parameters (HF config names) for the memory arithmetic. */
  config?: LlamaDims;
  params?: number;
  dtypes: Dtype[];
  files?: Partial<Record<Dtype, string>>;
  license: string;
  gated: boolean;
  needsHfToken: boolean;
}

/** The catalogue file's shape. */
export interface Catalogue {
  defaults: { online: string; offline: string };
  models: CatalogueEntry[];
}

/** Where forge models live; transformers.js's `localModelPath` points here. */
export const MODELS_DIR = join(CACHE_DIR, "models");

/** Reads data/models.json. */
export function loadCatalogue(): Catalogue {
  return JSON.parse(readFileSync(join(ROOT, "data", "models.json"), "utf8"));
}

/** A model ready to hand to transformers.js. */
export interface ResolvedModel {
  /** What to pass to from_pretrained / pipeline. */
  id: string;
  /** Folder transformers.js must use as `localModelPath` (null: the hub). */
  localModelPath: string | null;
  /** "online" for hub downloads, "offline" for local folders. */
  mode: "online" | "offline";
  entry?: CatalogueEntry;
}

/**
 * Resolves a model name: an existing folder (HF layout) is used as is; a forge preset in the
 * catalogue is built on first use (with a message); a hub id is downloaded by transformers.js
 * unless offline mode is forced. Unknown names get an error listing the catalogue.
 */
export async function resolveModel(name: string): Promise<ResolvedModel> {
  const path = resolve(name);
  if (existsSync(path) && statSync(path).isDirectory()) {
    if (!existsSync(join(path, "config.json"))) {
      throw unknownModel(`La carpeta ${path} no tiene config.json: no es un modelo.`);
    }
    return { id: basename(path), localModelPath: dirname(path), mode: "offline" };
  }
  const catalogue = loadCatalogue();
  const entry = catalogue.models.find((m) => m.id === name);
  if (entry?.source === "forge") {
    const dir = await ensureModel(entry.id);
    return { id: basename(dir), localModelPath: dirname(dir), mode: "offline", entry };
  }
  if (entry || /^[\w.-]+\/[\w.-]+$/.test(name)) {
    if (kitConfig().offline) {
      throw unknownModel(
        `«${name}» está en el Hub de Hugging Face y KIT_OFFLINE=1 impide descargarlo. ` +
          `Sin conexión, usa "${catalogue.defaults.offline}".`,
      );
    }
    return { id: name, localModelPath: null, mode: "online", entry };
  }
  const known = catalogue.models.map((m) => m.id).join(", ");
  throw unknownModel(
    `Modelo desconocido: «${name}». Usa uno del catálogo (${known}), un id del Hub ` +
      `(organización/modelo) o la carpeta de un modelo.`,
  );
}
