/**
 * The llama.cpp suite's table: the kit beside llama.cpp on the same weights, per dtype.
 *
 * @module
 */
import { markdownTable } from "../show/table.ts";
import type { EngineRow } from "./llama_cpp_suite.ts";

const GB = 1e9;
const f1 = (x: number) => Number(x.toFixed(1));
const f2 = (x: number) => Number(x.toFixed(2));
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

/**
 * One row per dtype: decode and prefill tok/s (medians of interleaved rounds), kit ÷ llama.cpp
 * (median of the rounds' ratios), % of the bandwidth roofline, peak RSS of each engine alone.
 *
 * @example
 * ```ts
 * console.log(llamaCppTable(results.llamaCpp).markdown);
 * ```
 */
export function llamaCppTable(rows: EngineRow[]): { title: string; markdown: string } {
  return {
    title: "llama.cpp (Ollama's engine) vs the kit, same weights, interleaved in one process " +
      "(two processes: the kit loaded first, then last)",
    markdown: markdownTable(rows.map((r) => ({
      "kit / GGUF": `${r.dtype} / ${r.variant}`,
      "decode tok/s kit": f1(r.kit.decodeMedian),
      "decode llama.cpp": f1(r.llama.decodeMedian),
      "decode llama.cpp 1 thread": f1(r.llama1.decodeMedian),
      "kit ÷ llama.cpp decode (1 thread)": `${f2(r.decodeRatio)} (${f2(r.decodeRatio1)})`,
      "decode ratio, kit loaded first / last": `${f2(r.decodeRatioByLoadOrder.kitFirst)} / ${
        f2(r.decodeRatioByLoadOrder.kitLast)
      }`,
      "prefill tok/s kit": f1(r.kit.prefillMedian),
      "prefill llama.cpp": f1(r.llama.prefillMedian),
      "kit ÷ llama.cpp prefill (1 thread)": `${f2(r.prefillRatio)} (${f2(r.prefillRatio1)})`,
      "GB/token kit / llama.cpp": `${f2(r.kit.bytesPerToken / GB)} / ${
        f2(r.llama.bytesPerToken / GB)
      }`,
      "% roofline kit / llama.cpp": `${pct(r.kit.fractionOfRoofline)} / ${
        pct(r.llama.fractionOfRoofline)
      }`,
      "peak RSS GB kit / llama.cpp": `${f2(r.kit.peakRssBytes / GB)} / ${
        f2(r.llama.peakRssBytes / GB)
      }`,
      "same text": r.sameText ? "yes" : "no",
    }))),
  };
}
