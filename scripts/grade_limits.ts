/**
 * `deno task grade-limits` — measures the grading sandbox's limits against hostile
 * submissions: each one (ArrayBuffers, WebAssembly memory, the V8 heap, a string that doubles,
 * an infinite loop) replaces one exercise's solution and runs in the sandbox with the default
 * limits. Prints, per attack, how the run ended, its peak resident memory and the OS data
 * limit, and writes them to out/grading/limits.json. The figure quoted in the README
 * ("memoria máxima medida con una entrega hostil") comes from here.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OUT_DIR } from "../lib/core/mod.ts";
import {
  DEFAULT_LIMITS,
  exerciseModule,
  loadSources,
  newCapabilityName,
  runInSandbox,
} from "../lib/grading/mod.ts";

/** Hostile bodies for the `memoria` exercise's countParams. */
const ATTACKS: Record<string, string> = {
  "ArrayBuffers (64 × 256 MiB)":
    "const keep = []; for (let i = 0; i < 64; i++) keep.push(new Uint8Array(256 * 2 ** 20).fill(1)); return keep.length;",
  "memoria WebAssembly (hasta 4 GiB)":
    "const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (let i = 0; i < 64; i++) { m.grow(1024); new Uint8Array(m.buffer).fill(1); } return 0;",
  "heap de V8 (arrays sin fin)":
    "const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random()));",
  "cadena que se duplica": 'let s = "x"; const keep = []; for (;;) { s += s; keep.push(s + "y"); }',
  "ArrayBuffers retenidos tras el fallo":
    "const keep = []; try { for (;;) keep.push(new Uint8Array(64 * 2 ** 20).fill(1)); } catch { for (;;) keep.push(new Array(1e5).fill(1)); }",
  "bucle infinito": "for (;;) {}",
};

if (import.meta.main) {
  const source = [...loadSources().values()][0];
  const rows: Record<string, unknown>[] = [];
  console.log(
    `Límites: memoria ${DEFAULT_LIMITS.memoryMb} MB, tiempo ${DEFAULT_LIMITS.timeLimitMs / 1000} s`,
  );
  for (const [name, body] of Object.entries(ATTACKS)) {
    const code = `function countParams(config: LlamaConfig): number {\n  ${body}\n}\n` +
      "function weightsBytes(params: number, dtype: Dtype): number { return 0; }\n" +
      "function kvCacheBytes(config: LlamaConfig, tokens: number): number { return 0; }\n";
    const take = newCapabilityName();
    const { text } = exerciseModule(source.nb, "memoria", code, take);
    const run = await runInSandbox(text, DEFAULT_LIMITS, { take });
    const failed = run.events.filter((e) => e.e === "result" && !e.ok).length;
    const row = {
      attack: name,
      end: run.end,
      maxRssMb: run.maxRssMb,
      dataLimitMb: run.dataLimitMb,
      seconds: Math.round(run.ms) / 1000,
      failedTests: failed,
    };
    rows.push(row);
    console.log(
      `${name.padEnd(38)} ${run.end.padEnd(14)} pico ${String(run.maxRssMb).padStart(4)} MB ` +
        `(límite del SO ${run.dataLimitMb ?? "—"} MB de datos) ${row.seconds} s`,
    );
  }
  const peak = Math.max(...rows.map((r) => Number(r.maxRssMb ?? 0)));
  console.log(`\nMemoria máxima medida con una entrega hostil: ${peak} MB`);
  const dir = join(OUT_DIR, "grading");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "limits.json");
  writeFileSync(
    path,
    JSON.stringify(
      { measuredAt: new Date().toISOString(), limits: DEFAULT_LIMITS, peakMb: peak, rows },
      null,
      2,
    ) + "\n",
  );
  console.log(`Resultados: ${path}`);
}
