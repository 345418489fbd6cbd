/** lib/show outside Jupyter: tables, progress lines, SVG charts. (In-cell behaviour: runner_test.) */
import assert from "node:assert/strict";
import { parseHTML } from "linkedom";
import {
  comparisonTable,
  formatCell,
  markdownTable,
  Plot,
  plotToSvg,
  progressBar,
  protocolLines,
  protocolOverhead,
} from "../lib/show/mod.ts";

/** Splits a Markdown table row into cells (an escaped pipe is "\\|", never " | "). */
function cells(line: string): string[] {
  return line.slice(2, -2).split(" | ");
}

Deno.test("markdownTable: every row has as many cells as the header, whatever the values", () => {
  const rows = [
    { name: "a | b", value: 1.23456, note: "dos\nlíneas" },
    { name: "c\\", value: 2, note: null },
    { name: "d", value: -0.5 },
  ];
  const lines = markdownTable(rows).split("\n");
  assert.equal(lines.length, 2 + rows.length);
  for (const line of lines) assert.equal(cells(line).length, 3, line);
  assert.deepEqual(cells(lines[1]), ["---", "---:", "---"]);
  assert.deepEqual(cells(lines[2]), ["a \\| b", "1.23", "dos<br>líneas"]);
  assert.deepEqual(cells(lines[4]), ["d", "-0.5", "—"]);
});

Deno.test("markdownTable: column order, header labels", () => {
  const md = markdownTable([{ a: 1, b: "x" }], { columns: ["b", "a"], headers: { a: "Á" } });
  assert.equal(md, "| b | Á |\n| --- | ---: |\n| x | 1 |");
});

Deno.test("formatCell: booleans in Spanish, numbers rounded to 2 decimals", () => {
  assert.equal(formatCell(true), "sí");
  assert.equal(formatCell(false), "no");
  assert.equal(formatCell(2 / 3), "0.67");
  assert.equal(formatCell(1e9), "1000000000");
});

Deno.test("progressBar outside Jupyter prints at most one line per 10 % step", () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    const bar = progressBar("descarga", 1000);
    for (let i = 1; i <= 1000; i++) bar.update(i);
    bar.finish("listo");
  } finally {
    console.log = log;
  }
  assert.ok(lines.length <= 12, `${lines.length} lines`);
  assert.match(lines[0], /^descarga ░{20} 0 % \(0\/1000\)$/);
  assert.match(lines.at(-1)!, /^descarga █{20} 100 % \(1000\/1000\) listo$/);
});

Deno.test("plotToSvg: a standalone SVG with one bar per datum", () => {
  const data = [{ k: "fp32", v: 28 }, { k: "fp16", v: 14 }, { k: "q4", v: 3.5 }];
  const svg = plotToSvg({ title: "Título", marks: [Plot.barX(data, { x: "v", y: "k" })] });
  const { document } = parseHTML(`<html><body>${svg}</body></html>`) as unknown as {
    document: {
      querySelector(
        s: string,
      ): {
        getAttribute(a: string): string | null;
        querySelectorAll(s: string): unknown[];
        textContent: string;
      } | null;
    };
  };
  const root = document.querySelector("svg");
  assert.ok(root);
  assert.equal(root.getAttribute("xmlns"), "http://www.w3.org/2000/svg");
  assert.equal(root.querySelectorAll("rect").length, data.length);
  assert.equal(document.querySelector("svg > title")?.textContent, "Título");
});

Deno.test("plotToSvg: title, subtitle and caption are visible text, the caption wrapped", () => {
  const caption = "Las barras son la mediana; las líneas negras van del mínimo al máximo medidos. "
    .repeat(3);
  const svg = plotToSvg({
    title: "Memoria por formato",
    subtitle: "modelo local del kit, medido aquí",
    caption,
    width: 400,
    marks: [Plot.barX([{ k: "fp32", v: 1 }], { x: "v", y: "k" })],
  });
  const texts = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.equal(texts[0], "Memoria por formato");
  assert.equal(texts[1], "modelo local del kit, medido aquí");
  const capLines = texts.filter((t) => t.length > 1 && caption.includes(t));
  assert.ok(capLines.length >= 3, "the caption is wrapped over several lines");
  for (const l of capLines) assert.ok(l.length <= Math.floor((400 - 20) / 6.6), l);
  assert.equal(capLines.join(" "), caption.trim());
});

Deno.test("comparisonTable: wide but plausible figures still fit a 120-column terminal", () => {
  const s = (median: number, min: number, max: number) => ({ median, min, max, n: 9 });
  const row = (method: number, name: string) => ({
    method,
    name,
    mode: "offline" as const,
    model: "kit-es",
    runs: 9,
    ttftMs: s(1234.5, 999.9, 2500.4),
    tokensPerSecond: s(1234.5, 100.1, 2000.2),
    totalMs: s(12345, 9999, 25000),
    tokensOut: s(48, 31, 48),
    tokensIn: s(40, 20, 300),
    peakRssBytes: null,
    gpuBytes: null,
    service: {},
    methodMemory: { bytes: 1234e6, how: "proceso nuevo, q4" },
    results: [],
  });
  const md = markdownTable(comparisonTable([row(2, "Optimizado"), row(3, "Ollama")]));
  for (const line of md.split("\n")) assert.ok(line.length <= 120, `${line.length}: ${line}`);
  assert.match(md, /\| 1235 \[1000–2500\] \|/, "TTFT in whole milliseconds");
});

Deno.test("protocolOverhead: client total minus the server's own total, per run", () => {
  const run = (totalMs: number, serviceTimings: Record<string, number>) => ({
    prompt: "p",
    result: {
      text: "",
      tokensIn: 1,
      tokensOut: 2,
      stopReason: "stop" as const,
      model: "m",
      timings: { ttftMs: 1, totalMs, decodeMs: 1, tokensPerSecond: 1 },
      serviceTimings,
    },
  });
  const base = {
    name: "x",
    mode: "offline" as const,
    model: "m",
    runs: 3,
    ttftMs: null,
    tokensPerSecond: null,
    totalMs: null,
    tokensOut: null,
    tokensIn: null,
    peakRssBytes: null,
    gpuBytes: null,
    service: {},
  };
  // Ollama: total_duration; Groq: queue + total; the pipeline reports nothing.
  const ollama = {
    ...base,
    method: 3,
    results: [
      run(100, { total_duration: 80 }),
      run(50, { total_duration: 45 }),
      run(70, { total_duration: 60 }),
    ],
  };
  const groq = { ...base, method: 4, results: [run(30, { queueMs: 2, totalMs: 20 })] };
  const pipe = { ...base, method: 1, results: [run(30, {})] };
  assert.deepEqual(protocolOverhead(ollama), { median: 10, min: 5, max: 20, n: 3 });
  assert.deepEqual(protocolOverhead(groq), { median: 8, min: 8, max: 8, n: 1 });
  assert.equal(protocolOverhead(pipe), null);
  const lines = protocolLines([pipe, ollama, groq]);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^3\. x: 10,0 \[5,0–20,0\] ms por petición/);
});
