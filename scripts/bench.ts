/**
 * `deno task bench`: local inference speed and memory against this machine's limits.
 * Writes out/bench/bench.json, bench.md and SVG charts, and prints the tables. Not part of
 * the tests (minutes of CPU; the 7B suite loads a 7B-shaped model).
 *
 * Flags (parsed in lib/bench/flags.ts): --only roofline,llamacpp,overhead,7b,scaling,tuning
 * --quick --repeats N --out DIR.
 */
import { join } from "node:path";
import { OUT_DIR } from "../lib/core/mod.ts";
import { FlagError, parseBenchFlags, type Suite, USAGE } from "../lib/bench/mod.ts";
import { type BenchResults, benchTables, writeBenchOutputs } from "../lib/bench/mod.ts";
import { llamaCppSuite } from "../lib/bench/mod.ts";
import {
  bandwidthSuite,
  overheadSuite,
  rooflineSuite,
  scalingSuite,
  sevenBSuite,
  type SuiteOptions,
  tuningSuite,
} from "../lib/bench/mod.ts";

/** Runs the CPU suites the flags select, filling `results` as each one ends. */
export async function runCpuSuites(
  only: Suite[],
  o: SuiteOptions,
  results: BenchResults,
  onSuiteDone: () => Promise<void> = async () => {},
): Promise<void> {
  const steps: Record<Suite, () => Promise<void>> = {
    roofline: async () => {
      results.bandwidth = await bandwidthSuite(o);
      results.roofline = await rooflineSuite(o);
    },
    llamacpp: async () => {
      results.llamaCpp = await llamaCppSuite(o);
    },
    overhead: async () => {
      results.overhead = await overheadSuite(o);
    },
    "7b": async () => {
      results.sevenB = await sevenBSuite(o);
    },
    scaling: async () => {
      results.scaling = await scalingSuite(o);
    },
    tuning: async () => {
      results.tuning = await tuningSuite(o);
    },
  };
  for (const suite of only) {
    await steps[suite]();
    await onSuiteDone();
  }
}

async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseBenchFlags(args);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const out = flags.out ?? join(OUT_DIR, "bench");
  const started = performance.now();
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    machine: { cores: navigator.hardwareConcurrency, loadAverage: Deno.loadavg() },
  };
  const options: SuiteOptions = {
    quick: flags.quick,
    repeats: flags.repeats,
    log: (line) =>
      console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`),
  };
  // Save after every suite, so a long run that fails late keeps what it measured.
  await runCpuSuites(flags.only, options, results, async () => {
    await writeBenchOutputs(results, out);
  });
  for (const { title, markdown } of benchTables(results)) {
    console.log(`\n## ${title}\n\n${markdown}`);
  }
  const written = await writeBenchOutputs(results, out);
  console.log(`\nWritten: ${written.join(", ")}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
