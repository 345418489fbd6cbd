/**
 * Turns a GPU benchmark's JSON into the dated reference run the notebooks quote
 * (lib/bench/reference_run.ts):
 *
 *   deno run -A scripts/reference_run.ts BENCH_GPU.json data/reference_runs/h200_2026-12-01.json \
 *     [--driver 580.159.04] [--commit SHA] [--note "…"]…
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readFileSync, writeFileSync } from "node:fs";
import { toReferenceRun } from "../lib/bench/mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    driver: { type: "string" },
    commit: { type: "string" },
    note: { type: "string", multiple: true },
  },
});
if (positionals.length !== 2) {
  console.error("Uso: deno run -A scripts/reference_run.ts BENCH_GPU.json SALIDA.json");
  Deno.exit(2);
}
const ref = toReferenceRun(JSON.parse(readFileSync(positionals[0], "utf8")), {
  driver: values.driver,
  commit: values.commit,
  notes: values.note,
});
writeFileSync(positionals[1], JSON.stringify(ref, null, 2) + "\n");
console.log(`${positionals[1]}: ${ref.configurations.length} configuraciones (${ref.date})`);
