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
  children: ArrayLike<DomNode>;
  textContent: string | null;
  firstChild: DomNode | null;
  outerHTML: string;
  querySelector(selector: string): DomNode | null;
  setAttribute(name: string, value: string): void;
  insertBefore(node: DomNode, before: DomNode | null): void;
}

/** A rendered chart: the standalone SVG, and the HTML figure when Plot made one (legends). */
export interface RenderedPlot {
  svg: string;
  html: string | null;
}

/**
 * Renders Observable Plot options to a standalone SVG string (xmlns set, so the text is a
 * valid .svg file). A chart Plot wraps in a <figure> (title, legend) is returned as its
 * main <svg> (the figure's own <svg> child, not a legend swatch), with the title kept as the
 * SVG's <title>.
 *
 * @example
 * ```ts
 * const svg = plotToSvg({ marks: [Plot.barY([{ x: "a", y: 1 }], { x: "x", y: "y" })] });
 * ```
 */
export function plotToSvg(options: PlotOptions): string {
  return renderPlot(options).svg;
}

/** Renders a chart to its standalone SVG and, for a <figure>, the figure's HTML too. */
export function renderPlot(options: PlotOptions): RenderedPlot {
  // Deno has no DOM types; linkedom's document is typed here by the little we use.
  const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as {
    document: { createElement(tag: string): DomNode };
  };
  const node = Plot.plot({ ...options, document } as PlotOptions) as unknown as DomNode;
  const isSvg = (n: DomNode) => n.tagName.toLowerCase() === "svg";
  const svg = isSvg(node) ? node : Array.from(node.children).filter(isSvg).at(-1);
  if (!svg) throw new Error("Observable Plot no produjo ningún <svg>.");
  const html = svg === node ? null : node.outerHTML;
  svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  if (typeof options.title === "string" && svg !== node) {
    const title = document.createElement("title");
    title.textContent = options.title;
    svg.insertBefore(title, svg.firstChild);
  }
  return { svg: svg.outerHTML, html };
}

/**
 * Renders a chart, shows it in the cell (image/svg+xml) and optionally saves it as .svg.
 * Outside a notebook it only saves (when asked) and prints where. (For the SVG text itself,
 * call {@link plotToSvg}.)
 */
export function showPlot(options: PlotOptions, savePath?: string): void {
  const { svg, html } = renderPlot(options);
  if (savePath) writeFileSync(savePath, svg);
  if (inJupyter()) {
    displayBundle({
      "image/svg+xml": svg,
      ...(html ? { "text/html": html } : {}),
      "text/plain": "[gráfico SVG]",
    });
  } else if (savePath) console.log(`Gráfico guardado en ${savePath}`);
}

/** Shows SVG text (e.g. a chart from a report) in the cell; outside a notebook, does nothing. */
export function showSvg(svg: string): void {
  if (inJupyter()) displayBundle({ "image/svg+xml": svg, "text/plain": "[gráfico SVG]" });
}
