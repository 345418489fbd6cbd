/** lib/measure/stream: the timing layer every backend shares. */
import assert from "node:assert/strict";
import { measureStream, type Piece, type SourceEnd, timingsFrom } from "../lib/core/stream.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A source yielding `pieces` with `gapMs` between them (honours abort between pieces). */
function source(pieces: string[], gapMs: number, end: Partial<SourceEnd> = {}) {
  return async function* (signal: AbortSignal): AsyncGenerator<Piece, SourceEnd> {
    for (const p of pieces) {
      await sleep(gapMs);
      if (signal.aborted) break;
      yield { text: p };
    }
    return { tokensIn: 3, model: "m", ...end };
  };
}

Deno.test("timingsFrom: decode rate counts the tokens after the first", () => {
  const t = timingsFrom(1000, 1200, 2200, 2300, 11);
  assert.deepEqual(t, { ttftMs: 200, totalMs: 1300, decodeMs: 1000, tokensPerSecond: 10 });
  assert.equal(timingsFrom(0, 5, 5, 6, 1).tokensPerSecond, null);
  assert.equal(timingsFrom(0, null, null, 6, 0).ttftMs, null);
});

Deno.test("measureStream: pieces in order, text = joined pieces, consistent timings", async () => {
  const s = measureStream(source(["Hola", ",", " mundo"], 20));
  const seen: string[] = [];
  for await (const p of s) seen.push(p);
  const r = await s.result;
  assert.deepEqual(seen, ["Hola", ",", " mundo"]);
  assert.equal(r.text, "Hola, mundo");
  assert.equal(r.tokensOut, 3);
  assert.equal(r.tokensIn, 3);
  assert.equal(r.stopReason, "stop");
  assert.ok(r.timings.ttftMs! >= 15 && r.timings.ttftMs! <= r.timings.totalMs);
  assert.ok(Math.abs(r.timings.tokensPerSecond! - 2000 / r.timings.decodeMs) < 1e-9);
});

Deno.test("measureStream: awaiting result alone drains the stream (generate = stream)", async () => {
  const r = await measureStream(source(["a", "b"], 1)).result;
  assert.equal(r.text, "ab");
});

Deno.test("measureStream: abort keeps the text produced so far", async () => {
  const s = measureStream(source(["1", "2", "3", "4", "5"], 30));
  const seen: string[] = [];
  for await (const p of s) {
    seen.push(p);
    if (seen.length === 2) s.abort();
  }
  const r = await s.result;
  assert.equal(r.stopReason, "abort");
  assert.equal(r.text, "12");
});

/** Yields one piece, then waits until aborted (a server that stalls). */
function stalling() {
  return async function* (signal: AbortSignal): AsyncGenerator<Piece, SourceEnd> {
    yield { text: "x" };
    await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
    return { tokensIn: 1, model: "m" };
  };
}

Deno.test("measureStream: the caller's signal bounds the call, text so far kept", async () => {
  const ac = new AbortController();
  const s = measureStream(stalling(), { signal: ac.signal });
  for await (const _ of s) ac.abort(); // abort once the first piece has arrived
  const a = await s.result;
  assert.equal(a.stopReason, "abort");
  assert.equal(a.text, "x");
});

Deno.test("measureStream: the timeout bounds a stalled call, text so far kept", async () => {
  const t = await measureStream(stalling(), { timeoutMs: 200 }).result;
  assert.equal(t.stopReason, "timeout");
  assert.equal(t.text, "x");
});

Deno.test("measureStream: reaching maxTokens reads as 'length'; source errors reject", async () => {
  const r = await measureStream(source(["a", "b"], 1), { maxTokens: 2 }).result;
  assert.equal(r.stopReason, "length");
  const failing = async function* (): AsyncGenerator<Piece, SourceEnd> {
    yield { text: "a" };
    throw new Error("se cortó");
  };
  await assert.rejects(measureStream(failing).result, /se cortó/);
});

Deno.test("measureStream: leaving the loop early still settles result (no promise left pending)", async () => {
  // Before the fix, `result` never settled here: its resolver lived only in the closed
  // generator, so an awaiting notebook cell waited on a promise nothing could resolve (which
  // V8 may then collect: the Deno kernel's "Promise was collected").
  let closed = false;
  const s = measureStream(async function* (signal): AsyncGenerator<Piece, SourceEnd> {
    try {
      for (const p of ["uno", " dos", " tres"]) {
        if (signal.aborted) break;
        yield { text: p };
      }
      return { tokensIn: 1, model: "m" };
    } finally {
      closed = true;
    }
  });
  for await (const p of s) {
    assert.equal(p, "uno");
    break;
  }
  const settled = await Promise.race([s.result, sleep(2000).then(() => "pendiente")]);
  assert.notEqual(settled, "pendiente", "result settled after the consumer left");
  const r = settled as Awaited<typeof s.result>;
  assert.equal(r.text, "uno");
  assert.equal(r.stopReason, "abort");
  assert.ok(closed, "the source was closed");
});
