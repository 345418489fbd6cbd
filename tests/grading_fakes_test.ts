/**
 * lib/grading/fakes.ts's KitError is a standalone copy (the grader's sandbox imports nothing
 * from the kit): it must stay the kit's KitError (lib/core/errors.ts) in name, kinds, fields and
 * defaults, so that what students handle in the exercises is what the backends throw.
 */
import assert from "node:assert/strict";
import * as core from "../lib/core/errors.ts";
import * as fakes from "../lib/grading/fakes.ts";

/** true only when A and B are the same type (checked by `deno check`). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameKinds: Same<core.KitErrorKind, fakes.KitErrorKind> = true;
const sameInit: Same<keyof core.KitErrorInit, keyof fakes.KitErrorInit> = true;

/** Every kind once (a Record over the kit's kinds: a missing or extra kind does not compile). */
const KINDS: Record<core.KitErrorKind, true> = {
  "bad-request": true,
  "unsupported": true,
  "not-found": true,
  "model-unavailable": true,
  "too-big": true,
  "missing-key": true,
  "auth": true,
  "forbidden": true,
  "rate-limit": true,
  "server-down": true,
  "server": true,
  "network": true,
  "timeout": true,
  "stream-cut": true,
  "closed": true,
  "forge": true,
  "other": true,
};

/** What a caller can read of an error: its name, message and own fields. */
function shape(e: Error): Record<string, unknown> {
  return { name: e.name, message: e.message, ...Object.fromEntries(Object.entries(e)) };
}

Deno.test("grading fakes: KitError has the kit's name, fields and retryable defaults", () => {
  assert.ok(sameKinds && sameInit);
  const inits: core.KitErrorInit[] = [
    {},
    { method: 4, kind: "rate-limit", status: 429, retryAfterS: 2.5, hint: "Espera." },
    { method: 3, kind: "server-down" },
    { method: 4, kind: "auth", status: 401, retryable: false },
    { kind: "server", retryable: false, serverMessage: "503", partialText: "ab" },
    { method: 4, kind: "model-unavailable", availableModels: ["m"], rateLimits: { a: 1 } },
    ...Object.keys(KINDS).map((kind) => ({ kind: kind as core.KitErrorKind })),
  ];
  for (const init of inits) {
    const real = new core.KitError("mensaje", init);
    const fake = new fakes.KitError("mensaje", init as fakes.KitErrorInit);
    assert.deepEqual(shape(fake), shape(real), JSON.stringify(init));
    assert.equal(fake.name, "KitError");
    assert.ok(fake instanceof Error);
    assert.equal(fakes.KitError.is(fake, fake.kind), true);
  }
  const cause = new TypeError("x");
  assert.equal(new fakes.KitError("m", { cause }).cause, new core.KitError("m", { cause }).cause);
});
