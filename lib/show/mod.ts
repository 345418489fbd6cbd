/**
 * Display helpers every notebook shares: Markdown tables, progress bars and streaming text
 * that update in place, Observable Plot charts as SVG. Each also works outside Jupyter
 * (console output), so lib code can use them from scripts and tests.
 *
 * @module
 */
export { formatCell, markdownTable, type Row, showTable, type TableOptions } from "./table.ts";
export { type ProgressBar, progressBar, progressText } from "./progress.ts";
export { type StreamText, streamText } from "./stream_text.ts";
export {
  Plot,
  type PlotOptions,
  plotToSvg,
  type RenderedPlot,
  renderPlot,
  showPlot,
  showSvg,
  wrapText,
} from "./plot.ts";
export { inJupyter } from "./_jupyter.ts";
export * from "./report.ts";
export { qualityChart, qualityRows } from "./quality.ts";
