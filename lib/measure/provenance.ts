/**
 * Where a figure comes from, said the same way everywhere: «medido aquí» (this machine, this
 * run), «medido por el kit en hardware real (máquina, fecha)» (a committed reference run of the
 * kit's own benchmark code) or «publicado (fuente, fecha)» (a third party's figure, not
 * measured by the kit). The three are never mixed in one number.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";

/** The three kinds of figure, plus «fórmula» for arithmetic and «razonamiento» for none. */
export type FigureKind = "aqui" | "referencia" | "publicado" | "formula" | "razonamiento";

/** What a label needs besides its kind. */
export interface FigureOrigin {
  kind: FigureKind;
  /** Reference runs: the machine ("NVIDIA H200"). */
  machine?: string;
  /** Reference runs and published figures: the date. */
  date?: string;
  /** Published figures: who published it. */
  source?: string;
}

/**
 * The Spanish label of a figure's origin.
 *
 * @example
 * ```ts
 * figureLabel({ kind: "referencia", machine: "NVIDIA H200", date: "2026-12-01" });
 * // "medido por el kit en hardware real (NVIDIA H200, 2026-12-01)"
 * ```
 */
export function figureLabel(o: FigureOrigin): string {
  switch (o.kind) {
    case "aqui":
      return "medido aquí";
    case "referencia":
      return `medido por el kit en hardware real (${o.machine ?? "máquina sin nombre"}, ${
        o.date ?? "sin fecha"
      })`;
    case "publicado":
      return `publicado (${o.source ?? "fuente sin nombre"}, ${o.date ?? "sin fecha"})`;
    case "formula":
      return "fórmula";
    case "razonamiento":
      return "razonamiento, sin cifra";
  }
}

/** A third party's figure (data/published_figures.json). */
export interface PublishedFigure {
  id: string;
  what: string;
  value: number;
  unit: string;
  source: string;
  url: string;
  date: string;
}

/** Reads data/published_figures.json. */
export function loadPublished(): PublishedFigure[] {
  return JSON.parse(readFileSync(join(ROOT, "data", "published_figures.json"), "utf8")).figures;
}

/**
 * One published figure by id, with its label; throws when the id is unknown (a typo in code
 * must not become a silent "—").
 *
 * @example
 * ```ts
 * published("t4-vram").label; // "publicado (NVIDIA, hoja de datos de la T4, 2019)"
 * ```
 */
export function published(
  id: string,
  figures = loadPublished(),
): PublishedFigure & { label: string } {
  const f = figures.find((x) => x.id === id);
  if (!f) throw new Error(`No hay cifra publicada con id "${id}" en data/published_figures.json.`);
  return { ...f, label: figureLabel({ kind: "publicado", source: f.source, date: f.date }) };
}
