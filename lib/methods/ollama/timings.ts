/**
 * What Ollama reports about its own work (the final chunk's nanosecond durations and counts),
 * beside what the client measured.
 *
 * @module
 */
import type { GenerateResult } from "../../core/types.ts";
import { nsToMs, type WireStats } from "./wire.ts";

/** The service's own timings of a final chunk, converted from ns to ms (Ollama's names kept). */
export function serviceTimingsOf(stats: WireStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (
    const key of [
      "total_duration",
      "load_duration",
      "prompt_eval_duration",
      "eval_duration",
    ] as const
  ) {
    const v = stats[key];
    if (typeof v === "number") out[key] = nsToMs(v);
  }
  return out;
}

/**
 * Ollama's own generation speed: eval_count ÷ eval_duration (ns → s), as its docs compute it;
 * null when it reported no decode time. With a thinking model, eval_count includes the
 * thinking tokens.
 *
 * @example
 * ```ts
 * ollamaTokensPerSecond({ eval_count: 18, eval_duration: 52479709 }); // ≈ 343
 * ```
 */
export function ollamaTokensPerSecond(stats: WireStats): number | null {
  return stats.eval_count && stats.eval_duration
    ? stats.eval_count / (stats.eval_duration / 1e9)
    : null;
}

/**
 * Rows comparing what the client measured (TTFT, tok/s, identical for the four methods) with
 * what Ollama reports about itself, for showTable. With a thinking model, two more rows: the
 * thinking tokens and the time to the first token of the answer (TTFT counts the first token
 * of either kind).
 */
export function timingRows(
  r: GenerateResult,
): { measure: string; client: number | null; ollama: number | null }[] {
  const s = r.serviceTimings ?? {};
  const d = r.details ?? {};
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const rows = [
    { measure: "tiempo total (ms)", client: r.timings.totalMs, ollama: num(s.total_duration) },
    { measure: "carga del modelo (ms)", client: null, ollama: num(s.load_duration) },
    {
      measure: "hasta el primer token (ms) / prompt_eval_duration",
      client: r.timings.ttftMs,
      ollama: num(s.prompt_eval_duration),
    },
    { measure: "tokens del prompt", client: null, ollama: num(d.prompt_eval_count) },
    { measure: "tokens generados", client: r.tokensOut, ollama: num(d.eval_count) },
    {
      measure: "decodificación (ms) / eval_duration",
      client: r.timings.decodeMs,
      ollama: num(s.eval_duration),
    },
    {
      measure: "tokens/s",
      client: r.timings.tokensPerSecond,
      ollama: num(d.ollama_tokens_per_second),
    },
  ];
  if (r.thinkingTokens) {
    rows.push(
      { measure: "de ellos, razonamiento («thinking»)", client: r.thinkingTokens, ollama: null },
      {
        measure: "hasta el primer token de la respuesta (ms)",
        client: r.timings.answerTtftMs ?? null,
        ollama: null,
      },
    );
  }
  return rows;
}
