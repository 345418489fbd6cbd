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
 * valid .svg file). `title`, `subtitle` and `caption` are drawn inside the SVG as visible
 * text (title on top, subtitle under it, caption wrapped below the chart), so they survive
 * wherever the SVG goes (cell output, report, PNG); the title is also the SVG's <title>.
 *
 * @example
 * ```ts
 * const svg = plotToSvg({ title: "Pesos", marks: [Plot.barY([{ x: "a", y: 1 }], { x: "x", y: "y" })] });
 * ```
 */
export function plotToSvg(options: PlotOptions): string {
  return renderPlot(options).svg;
}

const esc = (t: string) =>
  t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Splits text into lines of at most `width` characters, at spaces. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Renders a chart to its standalone SVG (with its title, subtitle and caption drawn in). */
export function renderPlot(options: PlotOptions): RenderedPlot {
  // Deno has no DOM types; linkedom's document is typed here by the little we use.
  const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as {
    document: { createElement(tag: string): DomNode };
  };
  const { title, subtitle, caption, ...rest } = options as PlotOptions & {
    subtitle?: unknown;
    caption?: unknown;
  };
  const axes = rest as Record<string, unknown>;
  const node = Plot.plot({
    ...rest,
    x: spanishTicks(axes.x),
    y: spanishTicks(axes.y),
    document,
  } as PlotOptions) as unknown as DomNode;
  const isSvg = (n: DomNode) => n.tagName.toLowerCase() === "svg";
  const svg = isSvg(node) ? node : Array.from(node.children).filter(isSvg).at(-1);
  if (!svg) throw new Error("Observable Plot no produjo ningún <svg>.");
  const html = svg === node ? null : node.outerHTML;
  svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  const texts = [title, subtitle, caption].map((t) => (typeof t === "string" ? t : ""));
  if (!texts.some(Boolean)) return { svg: svg.outerHTML, html };
  return { svg: framed(svg.outerHTML, texts[0], texts[1], texts[2]), html };
}

/** Numbers on axes as Spanish writes them (1000, 2,5), unless the chart sets its own format. */
function spanishTicks(scale: unknown): unknown {
  const tickFormat = (v: unknown) =>
    typeof v === "number" ? v.toLocaleString("es-ES", { maximumFractionDigits: 3 }) : String(v);
  if (scale === undefined) return { tickFormat };
  if (scale === null || typeof scale !== "object" || "tickFormat" in scale) return scale;
  return { tickFormat, ...scale };
}

/** Puts a chart's SVG inside a larger SVG with its title, subtitle and caption as text. */
function framed(inner: string, title: string, subtitle: string, caption: string): string {
  const num = (name: string) => Number(new RegExp(`\\b${name}="([\\d.]+)"`).exec(inner)?.[1] ?? 0);
  const width = num("width") || 640;
  const height = num("height") || 400;
  const chars = Math.floor((width - 20) / 6.6);
  const titleLines = title ? wrapText(title, Math.floor((width - 20) / 9)) : [];
  const subLines = subtitle ? wrapText(subtitle, chars) : [];
  const capLines = caption ? wrapText(caption, chars) : [];
  let y = 8;
  const parts: string[] = [];
  for (const l of titleLines) {
    y += 20;
    parts.push(`<text x="10" y="${y}" font-size="16" font-weight="bold">${esc(l)}</text>`);
  }
  for (const l of subLines) {
    y += 16;
    parts.push(`<text x="10" y="${y}" font-size="12" fill="#444">${esc(l)}</text>`);
  }
  const top = y + 10;
  let cy = top + height + 4;
  for (const l of capLines) {
    cy += 15;
    parts.push(`<text x="10" y="${cy}" font-size="11" fill="#555">${esc(l)}</text>`);
  }
  const total = cy + 10;
  const nested = inner.replace(/^<svg\b/, `<svg x="0" y="${top}"`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" ` +
    `viewBox="0 0 ${width} ${total}" font-family="system-ui, sans-serif">` +
    (title ? `<title>${esc(title)}</title>` : "") +
    `${parts.join("")}${nested}</svg>`;
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
