/** One generation's figures as a table row a student can read (Spanish column labels). */
import type { GenerateResult } from "../core/types.ts";

/** Figures of one generation, rounded for display; null where not measured. */
export interface ResultRow {
  method: string;
  mode: "online" | "offline";
  model: string;
  tokensIn: number;
  tokensOut: number;
  ttftMs: number | null;
  tokensPerSecond: number | null;
  totalMs: number;
  peakRssMB: number | null;
  stopReason: string;
}

/** Spanish headers for {@link ResultRow} columns (pass to showTable). */
export const RESULT_HEADERS: Record<keyof ResultRow, string> = {
  method: "Método",
  mode: "Modo",
  model: "Modelo",
  tokensIn: "Tokens entrada",
  tokensOut: "Tokens salida",
  ttftMs: "TTFT (ms)",
  tokensPerSecond: "tok/s (decode)",
  totalMs: "Total (ms)",
  peakRssMB: "RSS pico (MB)",
  stopReason: "Fin",
};

const round = (x: number | null, digits = 1) =>
  x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Turns a result into a row.
 *
 * @example
 * ```ts
 * showTable([resultRow(backend, result)], { headers: RESULT_HEADERS });
 * ```
 */
export function resultRow(
  backend: { name: string; mode: "online" | "offline" },
  r: GenerateResult,
): ResultRow {
  return {
    method: backend.name,
    mode: backend.mode,
    model: r.model,
    tokensIn: r.tokensIn,
    tokensOut: r.tokensOut,
    ttftMs: round(r.timings.ttftMs),
    tokensPerSecond: round(r.timings.tokensPerSecond),
    totalMs: round(r.timings.totalMs) ?? 0,
    peakRssMB: r.memory?.peakRssBytes ? round(r.memory.peakRssBytes / 1e6, 0) : null,
    stopReason: r.stopReason,
  };
}
