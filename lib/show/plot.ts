/** Observable Plot charts rendered to SVG text (no browser), shown in cells or saved. */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { writeFileSync } from "node:fs";
import { displayBundle, inJupyter } from "./_jupyter.ts";

export { Plot };

/** Plot options as Observable Plot takes them (the document is supplied here). */
export type PlotOptions = Plot.PlotOptions;

interface DomNode {
  tagName: string;
  textContent: string | null;
  firstChild: DomNode | null;
  outerHTML: string;
  querySelector(selector: string): DomNode | null;
  setAttribute(name: string, value: string): void;
  insertBefore(node: DomNode, before: DomNode | null): void;
}

/**
 * Renders Observable Plot options to a standalone SVG string (xmlns set, so the text is a
 * valid .svg file). A chart Plot wraps in a <figure> (title, legend) is returned as its
 * main <svg>, with the title kept as the SVG's <title>.
 *
 * @example
 * ```ts
 * const svg = plotToSvg({ marks: [Plot.barY([{ x: "a", y: 1 }], { x: "x", y: "y" })] });
 * ```
 */
export function plotToSvg(options: PlotOptions): string {
  // Deno has no DOM types; linkedom's document is typed here by the little we use.
  const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as {
    document: { createElement(tag: string): DomNode };
  };
  const node = Plot.plot({ ...options, document } as PlotOptions) as unknown as DomNode;
  const svg = node.tagName.toLowerCase() === "svg" ? node : node.querySelector("svg");
  if (!svg) throw new Error("Observable Plot no produjo ningún <svg>.");
  svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  if (typeof options.title === "string" && svg !== node) {
    const title = document.createElement("title");
    title.textContent = options.title;
    svg.insertBefore(title, svg.firstChild);
  }
  return svg.outerHTML;
}

/**
 * Renders a chart, shows it in the cell (image/svg+xml) and optionally saves it as .svg.
 * Outside a notebook it only saves (when asked) and prints where. (For the SVG text itself,
 * call {@link plotToSvg}.)
 */
export function showPlot(options: PlotOptions, savePath?: string): void {
  const svg = plotToSvg(options);
  if (savePath) writeFileSync(savePath, svg);
  if (inJupyter()) displayBundle({ "image/svg+xml": svg, "text/plain": "[gráfico SVG]" });
  else if (savePath) console.log(`Gráfico guardado en ${savePath}`);
}
