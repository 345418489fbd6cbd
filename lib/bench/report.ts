/**
 * The benchmark's outputs: Markdown tables (printed), SVG charts and one JSON file under
 * out/bench/.
 *
 * @module
 */
import { join } from "node:path";
import { markdownTable } from "../show/table.ts";
import { Plot, plotToSvg } from "../show/plot.ts";
import type { BandwidthResult } from "./bandwidth.ts";
import { median, spread } from "./stats.ts";
import type { RooflineRow } from "./roofline_suite.ts";
import type { OverheadRow } from "./overhead_suite.ts";
import type { SevenBRow } from "./seven_b_suite.ts";
import type { ScalingResult } from "./scaling_suite.ts";
import type { TuningRow } from "./tuning_suite.ts";
import { type GraphsRow, graphsTable } from "./graphs_suite.ts";
import { llamaCppTable } from "./llama_cpp_report.ts";
import type { EngineRow } from "./llama_cpp_suite.ts";

/** Everything one bench run measured (suites that did not run are absent). */
export interface BenchResults {
  startedAt: string;
  machine: { cores: number; loadAverage: number[] };
  bandwidth?: BandwidthResult[];
  roofline?: RooflineRow[];
  llamaCpp?: EngineRow[];
  overhead?: OverheadRow[];
  sevenB?: SevenBRow[];
  scaling?: ScalingResult;
  tuning?: TuningRow[];
  graphs?: GraphsRow[];
}

const GB = 1e9;
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const fixed = (x: number, d = 1) => Number(x.toFixed(d));
const noise = (xs: number[]) => `±${(spread(xs) * 50).toFixed(0)} %`;

/** A titled Markdown table per suite that ran. */
export function benchTables(r: BenchResults): { title: string; markdown: string }[] {
  const out: { title: string; markdown: string }[] = [];
  if (r.graphs) out.push(graphsTable(r.graphs));
  if (r.bandwidth) {
    out.push({
      title: "Memory bandwidth (streaming read of 1 GiB, best of 5, bench process)",
      markdown: markdownTable(r.bandwidth.map((b) => ({
        reader: b.reader,
        "GB/s": fixed(b.bytesPerSecond / GB),
        "passes (s)": b.passSeconds.map((s) => s.toFixed(3)).join(" "),
      }))),
    });
  }
  if (r.roofline) {
    out.push({
      title: "1. Roofline: tinyllama-1.1b decode (Optimized backend, 32 new tokens)",
      markdown: markdownTable(r.roofline.map((x) => ({
        dtype: x.dtype,
        "tok/s best": fixed(x.best),
        "tok/s median": fixed(x.median),
        noise: noise(x.tokensPerSecond),
        "GB read/token": fixed(x.bytesPerToken / GB, 3),
        "GB/s (same process)": `${fixed(x.bandwidth.bytesPerSecond / GB)} ${x.bandwidth.reader}`,
        "roofline tok/s": fixed(x.rooflineTokensPerSecond),
        "% of roofline": pct(x.fractionOfRoofline),
        "GB/s achieved (best × GB/token)": fixed((x.best * x.bytesPerToken) / GB),
        "weights GB": fixed(x.weightBytes / GB, 3),
        "peak RSS GB (load / generate)": `${fixed(x.loadPeakRssBytes / GB, 2)} / ${
          fixed(x.generatePeakRssBytes / GB, 2)
        }`,
        "loaded RSS GB (anon + file)": `${fixed(x.loadedRss.anon / GB, 2)} + ${
          fixed(x.loadedRss.file / GB, 2)
        }`,
        "peak RSS ÷ weights": fixed(x.rssOverWeights, 2),
        "(peak − runtime) ÷ weights": fixed(x.rssOverWeightsNet, 2),
      }))),
    });
  }
  if (r.llamaCpp) out.push(llamaCppTable(r.llamaCpp));
  if (r.overhead) {
    out.push({
      title: "2. Kit overhead: Optimized backend vs raw onnxruntime-node loop (same process, " +
        "both load orders)",
      markdown: markdownTable(r.overhead.map((x) => ({
        dtype: x.dtype,
        "kit tok/s": x.kit.map((v) => v.toFixed(1)).join(" "),
        "raw tok/s": x.raw.map((v) => v.toFixed(1)).join(" "),
        "kit ÷ raw (median of rounds)": fixed(x.ratio, 3),
        "kit loaded first / raw first": `${fixed(x.byLoadOrder.kitFirst, 3)} / ${
          fixed(x.byLoadOrder.rawFirst, 3)
        }`,
        "overhead": `${x.overheadPercent.toFixed(1)} %`,
        "best kit ÷ best raw": fixed(x.bestRatio, 3),
        "others' load (cores, median)": fixed(median(x.othersLoad), 2),
        "round ratios": x.roundRatios.map((v) => v.toFixed(2)).join(" "),
        "raw static KV tok/s": x.rawStatic.map((v) => v.toFixed(1)).join(" "),
        "static ÷ growing KV (raw, median of rounds)": fixed(x.staticRatio, 3),
        "same token ids": x.sameTokens ? `yes (${x.tokens})` : "NO",
      }))),
    });
  }
  if (r.sevenB) {
    out.push({
      title: "3. llama-2-7b shape on this machine (32 new tokens, fresh process per dtype)",
      markdown: markdownTable(r.sevenB.map((x) => ({
        dtype: x.dtype,
        "load s": fixed(x.loadMs / 1000),
        "peak RSS GB": fixed(x.peakRssBytes / GB, 2),
        "of RAM": pct(x.peakRssBytes / x.totalMemoryBytes),
        "weights GB": fixed(x.weightBytes / GB, 2),
        "RSS ÷ weights": fixed(x.rssOverWeights, 2),
        "tok/s": fixed(x.tokensPerSecond, 2),
        "TTFT s": x.ttftMs === null ? null : fixed(x.ttftMs / 1000, 1),
        "GB/s (same process)": `${fixed(x.bandwidth.bytesPerSecond / GB)} ${x.bandwidth.reader}`,
        "roofline tok/s": fixed(x.rooflineTokensPerSecond, 2),
        "% of roofline": pct(x.fractionOfRoofline),
      }))),
    });
  }
  if (r.scaling) {
    out.push({
      title: "4a. Threads (interleaved rounds in one process; RSS from a fresh process each)",
      markdown: markdownTable(r.scaling.threads.map((x) => ({
        dtype: x.dtype,
        threads: x.threads,
        "tok/s median": fixed(x.median),
        "tok/s rounds": x.tokensPerSecond.map((v) => v.toFixed(1)).join(" "),
        "speed-up vs 1": fixed(x.speedup, 2),
        "peak RSS GB": fixed(x.peakRssBytes / GB, 2),
      }))),
    });
    const c = r.scaling.context;
    const rssAt = (ctx: number) =>
      c.rss.reduce((a, b) => (Math.abs(b.context - ctx) < Math.abs(a.context - ctx) ? b : a));
    out.push({
      title: `4b. Context length (${c.dtype}, one generation, windows of 32 tokens)`,
      markdown: markdownTable(c.points.map((p) => {
        const s = c.rss.length ? rssAt(p.context) : null;
        return {
          context: p.context,
          "tok/s": fixed(p.tokensPerSecond),
          "roofline tok/s": fixed(p.rooflineTokensPerSecond),
          "% of roofline": pct(p.tokensPerSecond / p.rooflineTokensPerSecond),
          "RSS growth MB": s ? fixed(s.growthBytes / 1e6) : null,
          "KV formula MB": s ? fixed(s.kvBytes / 1e6) : null,
        };
      })),
    });
  }
  if (r.tuning) {
    out.push({
      title: "5. onnxruntime session options (raw sessions taking turns in one process)",
      markdown: markdownTable(r.tuning.map((x) => ({
        dtype: x.dtype,
        variant: x.label,
        "tok/s median": fixed(x.median),
        "tok/s best": fixed(x.best),
        "tok/s rounds": x.tokensPerSecond.map((v) => v.toFixed(1)).join(" "),
        "÷ defaults": fixed(x.ratio, 2),
        "loaded RSS GB (fresh)": x.loadedRssBytes === null ? null : fixed(x.loadedRssBytes / GB, 3),
        "peak RSS GB (fresh)": x.peakRssBytes === null ? null : fixed(x.peakRssBytes / GB, 3),
      }))),
    });
  }
  return out;
}

/** The charts, as {file name: SVG text}. */
export function benchCharts(r: BenchResults): Record<string, string> {
  const charts: Record<string, string> = {};
  if (r.roofline) {
    charts["roofline.svg"] = plotToSvg({
      title: "tinyllama-1.1b decode: measured vs bandwidth roofline",
      marginLeft: 60,
      y: { label: "tok/s", grid: true },
      color: { legend: true },
      marks: [
        Plot.barY(
          r.roofline.flatMap((x) => [
            { dtype: x.dtype, kind: "roofline", v: x.rooflineTokensPerSecond },
            { dtype: x.dtype, kind: "measured (best)", v: x.best },
          ]),
          { x: "kind", fx: "dtype", y: "v", fill: "kind" },
        ),
        Plot.ruleY([0]),
      ],
    });
  }
  if (r.sevenB) {
    charts["llama-2-7b.svg"] = plotToSvg({
      title: "llama-2-7b shape: peak RSS vs weights vs RAM (GB)",
      marginLeft: 60,
      y: { label: "GB", grid: true },
      color: { legend: true },
      marks: [
        Plot.barY(
          r.sevenB.flatMap((x) => [
            { dtype: x.dtype, kind: "weights", v: x.weightBytes / GB },
            { dtype: x.dtype, kind: "peak RSS", v: x.peakRssBytes / GB },
          ]),
          { x: "kind", fx: "dtype", y: "v", fill: "kind" },
        ),
        Plot.ruleY([r.sevenB[0].totalMemoryBytes / GB], { stroke: "red" }),
      ],
    });
  }
  if (r.scaling) {
    const c = r.scaling.context;
    charts["context_toks.svg"] = plotToSvg({
      title: `tinyllama-1.1b ${c.dtype}: decode tok/s vs context length`,
      marginLeft: 60,
      x: { label: "context (tokens)" },
      y: { label: "tok/s", grid: true },
      color: { legend: true },
      marks: [
        Plot.line(
          c.points.flatMap((p) => [
            { context: p.context, kind: "measured", v: p.tokensPerSecond },
            { context: p.context, kind: "roofline", v: p.rooflineTokensPerSecond },
          ]),
          { x: "context", y: "v", stroke: "kind" },
        ),
        Plot.ruleY([0]),
      ],
    });
    charts["context_rss.svg"] = plotToSvg({
      title: `tinyllama-1.1b ${c.dtype}: RSS growth vs KV cache formula (MB)`,
      marginLeft: 60,
      x: { label: "context (tokens)" },
      y: { label: "MB", grid: true },
      color: { legend: true },
      marks: [
        Plot.line(
          c.rss.flatMap((s) => [
            { context: s.context, kind: "RSS growth", v: s.growthBytes / 1e6 },
            { context: s.context, kind: "KV formula", v: s.kvBytes / 1e6 },
          ]),
          { x: "context", y: "v", stroke: "kind" },
        ),
        Plot.ruleY([0]),
      ],
    });
    charts["threads.svg"] = plotToSvg({
      title: "tinyllama-1.1b: decode tok/s by intra-op threads",
      marginLeft: 60,
      x: { type: "band", label: "threads" },
      y: { label: "tok/s (median)", grid: true },
      marks: [
        Plot.barY(r.scaling.threads.map((t) => ({ ...t, t: String(t.threads) })), {
          x: "t",
          fx: "dtype",
          y: "median",
          fill: "steelblue",
        }),
        Plot.ruleY([0]),
      ],
    });
  }
  return charts;
}

/** Writes bench.json and the charts into `dir`; returns the paths written. */
export async function writeBenchOutputs(r: BenchResults, dir: string): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const written = [join(dir, "bench.json")];
  await Deno.writeTextFile(written[0], JSON.stringify(r, null, 2) + "\n");
  for (const [name, svg] of Object.entries(benchCharts(r))) {
    await Deno.writeTextFile(join(dir, name), svg);
    written.push(join(dir, name));
  }
  const md = benchTables(r).map((t) => `## ${t.title}\n\n${t.markdown}\n`).join("\n");
  await Deno.writeTextFile(join(dir, "bench.md"), md);
  written.push(join(dir, "bench.md"));
  return written;
}
