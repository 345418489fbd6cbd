/**
 * kit-es's quality per dtype as a student reads it (notebook 02): a table and a chart of what
 * quantizing changes, always in the order fp32 → fp16 → q8 → q4.
 *
 * @module
 */
import type { DtypeQuality } from "../forge/mod.ts";
import { LESSON_DTYPES } from "../measure/mod.ts";
import { Plot, renderPlot } from "./plot.ts";

const byOrder = (rows: DtypeQuality[]) =>
  [...rows].sort((a, b) => LESSON_DTYPES.indexOf(a.dtype) - LESSON_DTYPES.indexOf(b.dtype));
const pct = (x: number | null) =>
  x === null
    ? "— (referencia)"
    : `${(100 * x).toLocaleString("es-ES", { maximumFractionDigits: 1 })} %`;

/** One row per dtype: perplexity and its change, and how often it agrees with fp32. */
export function qualityRows(rows: DtypeQuality[]): Record<string, string>[] {
  const fp32 = rows.find((r) => r.dtype === "fp32");
  return byOrder(rows).map((r) => ({
    "Formato": r.dtype,
    "Perplejidad (validación)": r.perplexity.toLocaleString("es-ES", { maximumFractionDigits: 2 }),
    "Δ frente a fp32": fp32
      ? `${r.perplexity >= fp32.perplexity ? "+" : ""}${
        (100 * (r.perplexity / fp32.perplexity - 1)).toLocaleString("es-ES", {
          maximumFractionDigits: 2,
        })
      } %`
      : "—",
    "Mismo token que fp32": pct(r.argmaxAgreement),
    "Misma respuesta que fp32": pct(r.sameAnswer),
  }));
}

/**
 * Bar chart: share of next-token choices and of whole greedy answers equal to fp32's, per
 * dtype (fp32 itself is the reference, 100 %).
 */
export function qualityChart(rows: DtypeQuality[], subtitle: string): string {
  const data = byOrder(rows).flatMap((r) => [
    { dtype: r.dtype, medida: "tokens", valor: 100 * (r.argmaxAgreement ?? 1) },
    { dtype: r.dtype, medida: "respuestas", valor: 100 * (r.sameAnswer ?? 1) },
  ]);
  return renderPlot({
    title: "Qué cambia al cuantizar kit-es: coincidencia con fp32",
    subtitle,
    caption:
      "«tokens»: en el texto de validación, el token más probable es el mismo que en fp32. " +
      "«respuestas»: la respuesta voraz (sin azar) completa es idéntica a la de fp32. fp32 es la " +
      "referencia (100 %).",
    width: 640,
    height: 320,
    marginTop: 30,
    marginBottom: 50,
    fx: { label: null, axis: "bottom", tickPadding: 20, domain: byOrder(rows).map((r) => r.dtype) },
    x: { label: null, domain: ["tokens", "respuestas"] },
    y: { label: "coincidencia con fp32 (%)", domain: [0, 100], grid: true },
    color: { domain: ["tokens", "respuestas"], range: ["steelblue", "darkorange"] },
    marks: [
      Plot.barY(data, { fx: "dtype", x: "medida", y: "valor", fill: "medida" }),
      Plot.text(data, {
        fx: "dtype",
        x: "medida",
        y: "valor",
        text: (d: { valor: number }) => `${Math.round(d.valor)} %`,
        dy: -6,
      }),
    ],
  }).svg;
}
