/**
 * The comparison as a self-contained HTML report (charts inline as SVG, the table, machine
 * details, online/offline per method) plus the same data as JSON.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ComparisonRow, Stat } from "../measure/compare.ts";
import type { MachineInfo } from "../env/machine.ts";
import { machineRows } from "../env/machine.ts";
import { escapeHtml } from "./_jupyter.ts";
import { Plot, renderPlot } from "./plot.ts";

const fmt = (s: Stat | null, digits = 1, scale = 1) =>
  s === null
    ? "—"
    : `${(s.median / scale).toFixed(digits)} [${(s.min / scale).toFixed(digits)}–${
      (s.max / scale).toFixed(digits)
    }]`;

/**
 * How a row's mode reads: online, or which offline stand-in (the local model for methods 1–2,
 * a local server speaking the service's protocol for 3–4).
 */
export function modeLabel(r: { method: number; mode: "online" | "offline" }): string {
  if (r.mode === "online") return "online";
  return r.method <= 2 ? "offline (modelo local del kit)" : "offline (sustituto local del kit)";
}

/** The comparison as display rows (Spanish headers; "mediana [mín–máx]"). */
export function comparisonTable(rows: ComparisonRow[]): Record<string, string | number>[] {
  return rows.map((r) => ({
    "#": r.method,
    "Método": r.name,
    "Modo": modeLabel(r),
    "Modelo": r.model,
    "Ejecuciones": r.runs,
    "TTFT ms": fmt(r.ttftMs),
    "tok/s": fmt(r.tokensPerSecond),
    "Total ms": fmt(r.totalMs, 0),
    "Tokens salida": fmt(r.tokensOut, 0),
    "RSS pico MB": fmt(r.peakRssBytes, 0, 1e6),
    "Tiempos del servicio (ms)": Object.entries(r.service)
      .map(([k, s]) => `${k} ${s.median.toFixed(1)}`).join("; ") || "—",
    ...(r.error ? { "Error": r.error } : {}),
  }));
}

/** Bar chart of a statistic's median per method, with its min–max as a rule. */
export function comparisonChart(
  rows: ComparisonRow[],
  pick: (r: ComparisonRow) => Stat | null,
  title: string,
  unit: string,
): string {
  const data = rows.flatMap((r) => {
    const s = pick(r);
    return s ? [{ label: `${r.method}. ${r.name} (${r.mode})`, ...s }] : [];
  });
  return renderPlot({
    title,
    marginLeft: 170,
    x: { label: unit, grid: true },
    y: { label: null },
    marks: [
      Plot.barX(data, { x: "median", y: "label", fill: "steelblue" }),
      Plot.ruleY(data, { y: "label", x1: "min", x2: "max", stroke: "black" }),
    ],
  }).svg;
}

/** The three charts of the comparison: tok/s, TTFT, peak memory. */
export function comparisonCharts(rows: ComparisonRow[]): { title: string; svg: string }[] {
  const charts: [string, (r: ComparisonRow) => Stat | null, string][] = [
    ["Velocidad de decodificación (tok/s, más es mejor)", (r) => r.tokensPerSecond, "tok/s"],
    ["Tiempo hasta el primer token (ms, menos es mejor)", (r) => r.ttftMs, "ms"],
    ["Memoria residente pico del proceso (MB)", (r) => r.peakRssBytes, "bytes"],
  ];
  return charts.map(([title, pick, unit]) => ({
    title,
    svg: comparisonChart(
      rows,
      unit === "bytes"
        ? (r) => {
          const s = pick(r);
          return s && { ...s, median: s.median / 1e6, min: s.min / 1e6, max: s.max / 1e6 };
        }
        : pick,
      title,
      unit === "bytes" ? "MB" : unit,
    ),
  }));
}

function htmlTable(rows: Record<string, string | number>[]): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => `<td>${escapeHtml(String(v ?? "—"))}</td>`;
  return `<table><thead><tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${cols.map((c) => cell(r[c])).join("")}</tr>`).join("")}` +
    `</tbody></table>`;
}

/** Everything a report shows. */
export interface ReportData {
  title: string;
  createdAt: string;
  machine: MachineInfo;
  rows: ComparisonRow[];
  notes?: string[];
}

/** Renders the report as one HTML document with no external resources. */
export function reportHtml(data: ReportData): string {
  const charts = comparisonCharts(data.rows);
  const offline = data.rows.filter((r) => r.mode === "offline").map((r) => r.name);
  return `<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>${escapeHtml(data.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.offline{background:#fff4d6;padding:.5em 1em;border-left:4px solid #e0a800}
figure{margin:1.5em 0}</style></head><body>
<h1>${escapeHtml(data.title)}</h1>
<p>Generado el ${
    escapeHtml(data.createdAt)
  }. Cifras: mediana [mínimo–máximo] de todas las ejecuciones medidas.</p>
${
    offline.length
      ? `<p class="offline"><strong>Sin conexión:</strong> ${
        escapeHtml(offline.join(", "))
      } se midieron con los sustitutos locales del kit (modelo local «tiny» y servidores locales con el mismo protocolo), no con los servicios reales.</p>`
      : ""
  }
<h2>Tabla comparativa</h2>
${htmlTable(comparisonTable(data.rows))}
<h2>Gráficos</h2>
${charts.map((c) => `<figure>${c.svg}</figure>`).join("\n")}
<h2>Máquina</h2>
${htmlTable(machineRows(data.machine).map((r) => ({ Recurso: r.item, Valor: r.value })))}
${(data.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join("\n")}
</body></html>
`;
}

/**
 * Writes `report.html` and `report.json` into `dir`; returns their paths.
 *
 * @example
 * ```ts
 * const { html } = writeReport(data, "out/demo");
 * ```
 */
export function writeReport(data: ReportData, dir: string): { html: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const html = join(dir, "report.html");
  const json = join(dir, "report.json");
  writeFileSync(html, reportHtml(data));
  writeFileSync(json, JSON.stringify(data, null, 2) + "\n");
  return { html, json };
}
