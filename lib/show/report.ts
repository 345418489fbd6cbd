/**
 * The comparison as a self-contained HTML report (charts inline as SVG, the table, machine
 * details, online/offline per method) plus the same data as JSON.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ComparisonRow, type Stat, stat } from "../measure/compare.ts";
import {
  CLAIMS_HEADERS,
  claimsVersusMeasured,
  figureLabel,
  loadPublished,
  loadReferenceRuns,
  recommendations,
  type ReferenceRun,
  referenceStatus,
} from "../measure/mod.ts";
import type { MachineInfo } from "../env/machine.ts";
import { machineRows } from "../env/machine.ts";
import { escapeHtml } from "./_jupyter.ts";
import { Plot, type PlotOptions, renderPlot } from "./plot.ts";

/**
 * How a row's mode reads: online, or which offline stand-in (the local model for methods 1–2,
 * a local server speaking the service's protocol for 3–4).
 */
export function modeLabel(r: { method: number; mode: "online" | "offline" }): string {
  if (r.mode === "online") return "online";
  return r.method <= 2 ? "offline (modelo local del kit)" : "offline (sustituto local del kit)";
}

/**
 * Spanish names of the services' own timings (the wire names kept in parentheses for Ollama,
 * whose API documents them; Groq's usage fields are `*_time` in seconds, here in ms).
 */
export const SERVICE_TIMING_LABELS: Record<string, string> = {
  total_duration: "total",
  load_duration: "carga",
  prompt_eval_duration: "prompt",
  eval_duration: "generación",
  queueMs: "cola",
  promptMs: "prompt",
  completionMs: "generación",
  totalMs: "total",
};

const num = (x: number, digits: number) =>
  x.toLocaleString("es-ES", { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** A number with `digits` decimals, or none from 100 up (where a decimal adds no information). */
const short = (x: number, digits: number) =>
  num(x, Math.abs(x) >= 100 ? 0 : digits).replace(/(\d)\.(\d{3})/g, "$1$2");
/** "median [min–max]" in Spanish, narrow enough for a 120-column terminal table. */
const fmtEs = (s: Stat | null, digits = 1) =>
  s === null ? "—" : `${short(s.median, digits)} [${short(s.min, digits)}–${short(s.max, digits)}]`;

/** A row's own memory (its process or its server's), or why it was not measured. */
export function memoryCell(r: ComparisonRow): string {
  const m = r.methodMemory;
  if (!m) return "no medida";
  return m.bytes === null ? "—" : `${Math.round(m.bytes / 1e6)}`;
}

/** The services' own timings in one short cell ("generación 12,3 · total 40,1"). */
export function serviceCell(r: ComparisonRow): string {
  return Object.entries(r.service)
    .map(([k, s]) => `${SERVICE_TIMING_LABELS[k] ?? k} ${num(s.median, 1)}`).join(" · ") || "—";
}

/**
 * The comparison as display rows (Spanish headers; "mediana [mín–máx]"). Narrow enough for a
 * 120-column terminal; the services' own timings and errors go to {@link serviceRows}.
 */
export function comparisonTable(rows: ComparisonRow[]): Record<string, string | number>[] {
  return rows.map((r) => ({
    "#": r.method,
    "Método": r.name,
    "Modo": r.mode === "online"
      ? "online"
      : r.method <= 2
      ? "offline, local"
      : "offline, sustituto",
    "Ejec.": r.runs,
    "TTFT (ms)": fmtEs(r.ttftMs, 0),
    "tok/s": fmtEs(r.tokensPerSecond),
    "Total (ms)": fmtEs(r.totalMs, 0),
    "Tokens": r.tokensOut && r.tokensOut.min === r.tokensOut.max
      ? String(r.tokensOut.min)
      : fmtEs(r.tokensOut, 0),
    "Memoria (MB)": memoryCell(r),
  }));
}

/** What generated a row's answers, as its backend reported it (details.engine). */
export function engineOf(r: ComparisonRow): string {
  const engine = r.results.find((x) => x.result.details?.engine)?.result.details?.engine;
  return typeof engine === "string" && engine ? engine : "—";
}

/** Per method: model, engine, the service's own timings (ms, medians) and the error if any. */
export function serviceRows(rows: ComparisonRow[]): Record<string, string | number>[] {
  return rows.map((r) => ({
    "#": r.method,
    "Modelo": r.model,
    "Motor": engineOf(r),
    "Tiempos del propio servicio (ms)": serviceCell(r),
    "Memoria: cómo se midió": r.methodMemory?.how ?? "no medida",
    ...(r.error ? { "Error": r.error } : {}),
  }));
}

/**
 * Per run, what the client measured minus what the server says it spent (Ollama's
 * total_duration; Groq's queue + total time): HTTP, streaming and the other process. Offline
 * this is all the stand-in rows can honestly tell about their protocol; null for a method
 * whose service reports no total.
 *
 * @example
 * ```ts
 * protocolOverhead(rows.find((r) => r.method === 3)!)?.median; // ms
 * ```
 */
export function protocolOverhead(r: ComparisonRow): Stat | null {
  return stat(r.results.map(({ result }) => {
    const s = result.serviceTimings ?? {};
    const server = typeof s.total_duration === "number"
      ? s.total_duration
      : typeof s.totalMs === "number"
      ? s.totalMs + (s.queueMs ?? 0)
      : null;
    return server === null ? null : result.timings.totalMs - server;
  }));
}

/** One Spanish sentence per method with a service total: the protocol's cost, measured here. */
export function protocolLines(rows: ComparisonRow[]): string[] {
  return rows.flatMap((r) => {
    const o = protocolOverhead(r);
    return o
      ? [
        `${r.method}. ${r.name}: ${fmtEs(o)} ms por petición entre lo que mide el cliente y lo ` +
        `que dice el servidor (HTTP, envío por partes y otro proceso; mediana [mínimo–máximo]).`,
      ]
      : [];
  });
}

/** Bar chart of a statistic's median per method, with its min–max as a whisker. */
export function comparisonChart(
  rows: ComparisonRow[],
  pick: (r: ComparisonRow) => Stat | null,
  text: { title: string; subtitle: string; axis: string; caption: string; whiskers?: boolean },
): string {
  const data = rows.flatMap((r) => {
    const s = pick(r);
    return s ? [{ label: `${r.method}. ${r.name}`, ...s }] : [];
  });
  return renderPlot({
    title: text.title,
    subtitle: text.subtitle,
    caption: text.caption,
    width: 640,
    marginLeft: 110,
    marginRight: 30,
    x: { label: text.axis, grid: true, nice: true, labelAnchor: "center", labelArrow: "none" },
    y: { label: null, domain: data.map((d) => d.label) },
    marks: [
      Plot.barX(data, { x: "median", y: "label", fill: "steelblue" }),
      ...(text.whiskers === false ? [] : [
        Plot.ruleY(data, { y: "label", x1: "min", x2: "max", stroke: "black", strokeWidth: 1.5 }),
        Plot.tickX(data, { x: "min", y: "label", stroke: "black" }),
        Plot.tickX(data, { x: "max", y: "label", stroke: "black" }),
      ]),
      Plot.ruleX([0]),
    ],
  } as PlotOptions).svg;
}

const WHISKERS =
  "Cada barra es la mediana de todas las ejecuciones medidas de ese método (los prompts corto, " +
  "medio y largo, con sus repeticiones); la línea negra con topes va del mínimo al máximo, así " +
  "que recoge la diferencia entre prompts además del ruido. Si las líneas de dos métodos se " +
  "solapan, la diferencia entre ellos no es medible con estas repeticiones: es un empate.";

/** The subtitle saying where the figures come from, and what offline rows do not measure. */
export function comparisonSubtitle(rows: ComparisonRow[]): string {
  const offline = rows.some((r) => r.mode === "offline");
  return offline
    ? "Medido aquí. Sin conexión: los cuatro métodos generan con el modelo local del kit, así " +
      "que esto no compara los servicios reales (la velocidad de Ollama y Groq no es medible sin conexión)."
    : "Medido aquí, contra los servicios reales.";
}

/** The three charts of the comparison: tok/s, TTFT, each method's own memory. */
export function comparisonCharts(rows: ComparisonRow[]): { title: string; svg: string }[] {
  const subtitle = comparisonSubtitle(rows);
  const mb = (s: Stat | null) =>
    s && { ...s, median: s.median / 1e6, min: s.min / 1e6, max: s.max / 1e6 };
  const memory = (r: ComparisonRow): Stat | null =>
    r.methodMemory?.bytes
      ? mb({
        median: r.methodMemory.bytes,
        min: r.methodMemory.bytes,
        max: r.methodMemory.bytes,
        n: 1,
      })
      : null;
  const charts: [string, (r: ComparisonRow) => Stat | null, string, string][] = [
    [
      "Velocidad de generación (más es mejor)",
      (r) => r.tokensPerSecond,
      "Tokens por segundo (tok/s)",
      WHISKERS,
    ],
    [
      "Tiempo hasta el primer token (menos es mejor)",
      (r) => r.ttftMs,
      "Milisegundos (ms)",
      WHISKERS,
    ],
    [
      "Memoria de cada método, medida en su propio proceso",
      memory,
      "Megabytes (MB)",
      "Pico de memoria residente del proceso del método (un proceso nuevo para los métodos 1 y 2; " +
      "el proceso del servidor para 3 y 4), no la del cuaderno. Una medida por método. Un método " +
      "sin barra no se pudo medir (la tabla dice por qué).",
    ],
  ];
  return charts.map(([title, pick, axis, caption]) => ({
    title,
    svg: comparisonChart(rows, pick, { title, subtitle, axis, caption, whiskers: pick !== memory }),
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
  /** Reference runs to show (default: those in data/reference_runs/). */
  reference?: ReferenceRun[];
}

/** Inline Markdown of the kit's sentences (**bold**, _italic_) as HTML, text escaped. */
function inlineMd(t: string): string {
  return escapeHtml(t).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>").replace(
    /(^|\s)_(.+?)_(?=\s|$|[.,;:])/g,
    "$1<em>$2</em>",
  );
}

/**
 * Rows of the reference runs' configurations (Spanish labels), each with its origin: «medido
 * por el kit en hardware real (máquina, fecha)». Failed configurations are left out.
 */
export function referenceRows(runs: ReferenceRun[]): Record<string, string>[] {
  const cell = (x: number | null, digits: number) => (x === null ? "—" : num(x, digits));
  return runs.flatMap((run) =>
    run.results.filter((r) => r.ok).map((r) => ({
      "Configuración": r.label,
      "Procesado del prompt (tok/s)": cell(r.prefillTokensPerSecond, 0),
      "Generación (tok/s)": cell(r.decodeTokensPerSecond, 1),
      "TTFT (ms)": cell(r.ttftMs, 0),
      "Origen": run.label,
    }))
  );
}

/**
 * Published figures (data/published_figures.json) whose id starts with `prefix` (default: Groq's
 * speeds), each with «publicado (fuente, fecha)».
 */
export function publishedRows(prefix = "groq-"): Record<string, string>[] {
  return loadPublished().filter((f) => f.id.startsWith(prefix)).map((f) => ({
    "Qué": f.what,
    "Cifra": `${num(f.value, 0)} ${f.unit}`,
    "Origen": figureLabel({ kind: "publicado", source: f.source, date: f.date }),
  }));
}

/** Renders the report as one HTML document with no external resources. */
export function reportHtml(data: ReportData): string {
  const charts = comparisonCharts(data.rows);
  const offline = data.rows.filter((r) => r.mode === "offline").map((r) => r.name);
  const reference = data.reference ?? loadReferenceRuns();
  return `<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>${escapeHtml(data.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.offline{background:#fff4d6;padding:.5em 1em;border-left:4px solid #e0a800}
figure{margin:1.5em 0}.kind{color:#555;font-style:italic}</style></head><body>
<h1>${escapeHtml(data.title)}</h1>
<p>Generado el ${escapeHtml(data.createdAt)}. Tres clases de cifras, nunca mezcladas:
<strong>medido aquí</strong> (esta máquina, ahora), <strong>medido por el kit en hardware real</strong>
(máquina y fecha) y <strong>publicado</strong> (fuente y fecha).</p>
${
    offline.length
      ? `<p class="offline"><strong>Sin conexión:</strong> ${
        escapeHtml(offline.join(", "))
      } se midieron con los sustitutos locales del kit (el modelo local del kit y servidores locales con el mismo protocolo), no con los servicios reales. La velocidad de Ollama y de Groq no es medible sin conexión.</p>`
      : ""
  }
<h2>Medido aquí</h2>
<p class="kind">Mediana [mínimo–máximo] de todas las ejecuciones. Memoria: la del propio proceso de cada método.</p>
${htmlTable(comparisonTable(data.rows))}
${htmlTable(serviceRows(data.rows))}
${protocolLines(data.rows).map((l) => `<p class="kind">${escapeHtml(l)}</p>`).join("\n")}
${charts.map((c) => `<figure>${c.svg}</figure>`).join("\n")}
<h2>La sesión frente a lo medido</h2>
<p class="kind">Diapositiva «Comparación de Métodos», palabra por palabra, al lado de lo que midió el kit.</p>
${
    htmlTable(
      claimsVersusMeasured(data.rows).map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [CLAIMS_HEADERS[k as keyof typeof CLAIMS_HEADERS], v]),
        )
      ),
    )
  }
<h2>Recomendaciones</h2>
${recommendations(data.rows, { reference }).map((t) => `<p>${inlineMd(t)}</p>`).join("\n")}
<h2>Medido por el kit en hardware real</h2>
<p class="kind">${escapeHtml(referenceStatus(reference))}</p>
${reference.length ? htmlTable(referenceRows(reference)) : ""}
<h2>Publicado</h2>
${htmlTable(publishedRows())}
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
