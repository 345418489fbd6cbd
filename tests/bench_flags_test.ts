import assert from "node:assert/strict";
import { FlagError, parseBenchFlags, SUITES } from "../lib/bench/flags.ts";

Deno.test("bench flags: defaults run every suite with 5 rounds", () => {
  const f = parseBenchFlags([]);
  assert.deepEqual(f.only, [...SUITES]);
  assert.equal(f.quick, false);
  assert.equal(f.repeats, 5);
  assert.equal(f.out, null);
});

Deno.test("bench flags: --only keeps the suites' order, --quick lowers the rounds", () => {
  const f = parseBenchFlags(["--only", "7b,roofline", "--quick", "--out=x"]);
  assert.deepEqual(f.only, ["roofline", "7b"]);
  assert.equal(f.repeats, 2);
  assert.equal(f.out, "x");
  assert.equal(parseBenchFlags(["--quick", "--repeats", "7"]).repeats, 7);
});

Deno.test("bench flags: unknown suites, flags and bad numbers are refused", () => {
  assert.throws(() => parseBenchFlags(["--only", "gpu"]), FlagError);
  assert.throws(() => parseBenchFlags(["--fast"]), FlagError);
  assert.throws(() => parseBenchFlags(["--repeats", "0"]), FlagError);
  assert.throws(() => parseBenchFlags(["--only"]), FlagError);
});
