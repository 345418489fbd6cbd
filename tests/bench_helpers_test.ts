import assert from "node:assert/strict";
import { best, median, spread } from "../lib/bench/stats.ts";
import { argmaxRange, decodeTokensPerSecond } from "../lib/bench/raw_decode.ts";
import { sumSlice } from "../lib/bench/bandwidth.ts";
import { parseRssSplit } from "../lib/measure/rss.ts";
import { windowRates } from "../lib/bench/scaling_suite.ts";
import { forgeModelDir } from "../lib/bench/run.ts";
import { ensureModel, forgeContentHash } from "../lib/forge/mod.ts";
import { join } from "node:path";
import { machineBusyJiffies, othersLoad, processJiffies } from "../lib/bench/cpu_load.ts";

Deno.test("best, median and spread of repeated measurements", () => {
  assert.equal(best([3, 1, 2]), 1);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([5, 1, 3, 2]), 2.5);
  assert.ok(Math.abs(spread([9, 10, 11]) - 0.2) < 1e-12);
  assert.equal(spread([]), 0);
  assert.throws(() => median([]), RangeError);
  assert.throws(() => best([]), RangeError);
});

Deno.test("argmaxRange picks the first maximum inside the range", () => {
  const v = new Float32Array([9, 0, 3, 1, 3, 9]);
  assert.equal(argmaxRange(v, 1, 4), 1); // values 0,3,1,3 → first 3
  assert.equal(argmaxRange(v, 0, 6), 0);
  assert.equal(argmaxRange(new Float32Array([-5, -1, -3]), 0, 3), 1);
});

Deno.test("decode tok/s counts the tokens after the first", () => {
  assert.equal(decodeTokensPerSecond([100, 200, 300]), 10);
  assert.equal(decodeTokensPerSecond([100]), null);
  assert.equal(decodeTokensPerSecond([100, 100]), null);
});

Deno.test("sumSlice sums with its four accumulators and the tail", () => {
  const v = Float64Array.from({ length: 11 }, (_, i) => i);
  assert.equal(sumSlice(v, 0, 11), 55);
  assert.equal(sumSlice(v, 3, 10), 3 + 4 + 5 + 6 + 7 + 8 + 9);
  assert.equal(sumSlice(v, 4, 4), 0);
});

Deno.test("parseRssSplit reads VmRSS, RssAnon and RssFile in bytes", () => {
  const status = "Name:\tdeno\nVmRSS:\t    3 kB\nRssAnon:\t    1 kB\nRssFile:\t    2 kB\n";
  assert.deepEqual(parseRssSplit(status), { rss: 3072, anon: 1024, file: 2048 });
  assert.deepEqual(parseRssSplit(""), { rss: 0, anon: 0, file: 0 });
});

Deno.test("windowRates times consecutive windows of a traced generation", () => {
  const at = [0, 100, 200, 300, 500];
  assert.deepEqual(windowRates(at, 2, 5), [
    { context: 6, tokensPerSecond: 10 },
    { context: 8, tokensPerSecond: 2000 / 300 },
  ]);
  assert.deepEqual(windowRates([0], 2, 5), []);
});

Deno.test("cpu load: busy jiffies, process jiffies and the others' share", () => {
  assert.equal(machineBusyJiffies("cpu  10 0 5 100 3 1 1 0 0 0\ncpu0 1 2 3\n"), 17);
  assert.equal(processJiffies("42 (deno x) S 1 2 3 4 5 6 7 8 9 10 11 12 13"), 23);
  const load = othersLoad({ at: 0, machineBusy: 0, self: 0 }, {
    at: 1000,
    machineBusy: 150,
    self: 100,
  });
  assert.equal(load, 0.5);
});

Deno.test("forgeModelDir rebuilds a folder made by other forge code, keeping its variants", async () => {
  const dir = await ensureModel("tiny-random", { dtypes: ["fp32", "q4"], log: () => {} });
  const stampPath = join(dir, "forge.json");
  const stamp = JSON.parse(await Deno.readTextFile(stampPath));
  // As if an older forge (another graph or block size) had written it.
  await Deno.writeTextFile(stampPath, JSON.stringify({ ...stamp, hash: "0".repeat(64) }));
  const out = await forgeModelDir("tiny-random", ["q4"]);
  const after = JSON.parse(await Deno.readTextFile(join(out, "forge.json")));
  assert.equal(after.hash, await forgeContentHash("tiny-random"));
  assert.deepEqual([...after.dtypes].sort(), [...stamp.dtypes].sort());
});
