/**
 * The comparison: the same prompts through every backend, with a warm-up and repetitions;
 * medians and spread of TTFT, decode tok/s, total latency, tokens, peak memory and the
 * service's own timings.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { median } from "./stats.ts";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";
import type { Backend, ChatMessage, GenerateResult } from "../core/types.ts";

/** One prompt of data/prompts.json. */
export interface PromptCase {
  id: string;
  size: "short" | "medium" | "long";
  messages: ChatMessage[];
}

/** The Spanish word for a prompt's size (the data keeps English keys). */
export const SIZE_LABELS: Record<PromptCase["size"], string> = {
  short: "corto",
  medium: "medio",
  long: "largo",
};

/** Reads the kit's Spanish prompt set (short / medium / long). */
export function loadPrompts(): PromptCase[] {
  return JSON.parse(readFileSync(join(ROOT, "data", "prompts.json"), "utf8")).prompts;
}

/** Median and spread (min, max) of a sample; null when there is no value. */
export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

/**
 * Median, min and max of the finite numbers in `values` (null when none).
 *
 * @example
 * ```ts
 * stat([3, 1, 2]); // { median: 2, min: 1, max: 3, n: 3 }
 * ```
 */
export function stat(values: (number | null | undefined)[]): Stat | null {
  const xs = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  return { median: median(xs), min: xs[0], max: xs.at(-1)!, n: xs.length };
}

/** A method's own memory and how it was measured (Spanish), or why it was not. */
export interface MethodMemory {
  bytes: number | null;
  how: string;
}

/** One backend's measured figures over all prompts and repetitions. */
export interface ComparisonRow {
  method: number;
  name: string;
  mode: "online" | "offline";
  model: string;
  runs: number;
  ttftMs: Stat | null;
  tokensPerSecond: Stat | null;
  totalMs: Stat | null;
  tokensIn: Stat | null;
  tokensOut: Stat | null;
  peakRssBytes: Stat | null;
  gpuBytes: Stat | null;
  /** Each service-reported timing (ms), by name. */
  service: Record<string, Stat>;
  /**
   * Memory used by the method alone: its own fresh process (methods 1–2) or its server's
   * process (3–4), never the notebook's; `bytes` null with the reason when not measurable.
   */
  methodMemory?: MethodMemory;
  /** Error message when the backend failed (its other figures are then from fewer runs). */
  error?: string;
  results: { prompt: string; result: GenerateResult }[];
}

/** Options for {@link runComparison}. */
export interface ComparisonOptions {
  prompts?: PromptCase[];
  /** Untimed runs per backend before measuring (default 1). */
  warmup?: number;
  /** Measured runs per prompt (default 3). */
  repetitions?: number;
  maxTokens?: number;
  /** Called after each measured run (progress). */
  onRun?: (backend: Backend, prompt: PromptCase, rep: number, r: GenerateResult) => void;
}

/** Summarizes one backend's results into a row. */
export function summarize(
  backend: Backend,
  results: { prompt: string; result: GenerateResult }[],
  error?: string,
): ComparisonRow {
  const rs = results.map((x) => x.result);
  const serviceKeys = new Set(rs.flatMap((r) => Object.keys(r.serviceTimings ?? {})));
  return {
    method: backend.method,
    name: backend.name,
    mode: backend.mode,
    model: rs[0]?.model ?? "",
    runs: rs.length,
    ttftMs: stat(rs.map((r) => r.timings.ttftMs)),
    tokensPerSecond: stat(rs.map((r) => r.timings.tokensPerSecond)),
    totalMs: stat(rs.map((r) => r.timings.totalMs)),
    tokensIn: stat(rs.map((r) => r.tokensIn)),
    tokensOut: stat(rs.map((r) => r.tokensOut)),
    peakRssBytes: stat(rs.map((r) => r.memory?.peakRssBytes)),
    gpuBytes: stat(rs.map((r) => r.memory?.gpuBytes)),
    service: Object.fromEntries(
      [...serviceKeys].map((k) => [k, stat(rs.map((r) => r.serviceTimings?.[k]))!]).filter((
        [, s],
      ) => s),
    ),
    ...(error ? { error } : {}),
    results,
  };
}

/**
 * Runs every prompt through every backend (warm-up first, then `repetitions` measured runs
 * each, all streamed) and returns one row per backend. A backend that fails gets a row with its error;
 * the others go on.
 */
export async function runComparison(
  backends: Backend[],
  opts: ComparisonOptions = {},
): Promise<ComparisonRow[]> {
  const prompts = opts.prompts ?? loadPrompts();
  const maxTokens = opts.maxTokens ?? 48;
  const rows: ComparisonRow[] = [];
  for (const backend of backends) {
    const results: { prompt: string; result: GenerateResult }[] = [];
    let error: string | undefined;
    try {
      for (let i = 0; i < (opts.warmup ?? 1); i++) {
        await backend.generate(prompts[0].messages, { maxTokens: 8 });
      }
      for (const prompt of prompts) {
        for (let rep = 0; rep < (opts.repetitions ?? 3); rep++) {
          // Streaming for every method, so TTFT and decode speed mean the same thing for all.
          const result = await backend.stream(prompt.messages, { maxTokens }).result;
          results.push({ prompt: prompt.id, result });
          opts.onRun?.(backend, prompt, rep, result);
        }
      }
    } catch (e) {
      error = (e as Error).message;
    }
    rows.push(summarize(backend, results, error));
  }
  return rows;
}
