/** Groq's own timings next to the client's, for one result. */
import type { GenerateResult } from "../../core/types.ts";

/** One row of {@link compareTimings}. */
export interface TimingRow {
  medida: string;
  /** Measured by the kit on this machine (ms, tok/s or tokens). */
  cliente: number | null;
  /** Reported by Groq in `usage` (converted to ms), or null when it has no such figure. */
  groq: number | null;
}

/**
 * The client's measurements next to Groq's own figures for one result: time to first token
 * against queue + prompt time, decode against completion_time, total against total_time
 * (+ queue), tok/s against completion_tokens ÷ completion_time. The gap between the two
 * totals is the network and HTTP.
 *
 * @example
 * ```ts
 * const r = await groq.stream("Hola").result;
 * showTable(compareTimings(r));
 * ```
 */
export function compareTimings(r: GenerateResult): TimingRow[] {
  const s = r.serviceTimings ?? {};
  const has = (k: string) => typeof s[k] === "number";
  const sum = (...keys: string[]) =>
    keys.every((k) => !has(k)) ? null : keys.reduce((t, k) => t + (s[k] ?? 0), 0);
  const serviceTps = r.details?.serviceTokensPerSecond;
  return [
    {
      medida: "Hasta el primer token, ms (TTFT | cola + prompt)",
      cliente: r.timings.ttftMs,
      groq: sum("queueMs", "promptMs"),
    },
    {
      medida: "Generación, ms (decode | completion_time)",
      cliente: r.timings.decodeMs,
      groq: has("completionMs") ? s.completionMs : null,
    },
    {
      medida: "Total, ms (llamada completa | cola + total_time)",
      cliente: r.timings.totalMs,
      groq: sum("queueMs", "totalMs"),
    },
    {
      medida: "Tokens por segundo (generación)",
      cliente: r.timings.tokensPerSecond,
      groq: typeof serviceTps === "number" ? serviceTps : null,
    },
    { medida: "Tokens de entrada", cliente: null, groq: r.tokensIn },
    { medida: "Tokens de salida", cliente: null, groq: r.tokensOut },
  ];
}
