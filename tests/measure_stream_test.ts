/** lib/measure/stream: the timing layer every backend shares. */
import assert from "node:assert/strict";
import {
  collect,
  measureStream,
  type Piece,
  type SourceEnd,
  timingsFrom,
} from "../lib/core/stream.ts";

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
  const r = await collect(measureStream(source(["a", "b"], 1)));
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

Deno.test("measureStream: the caller's signal and the timeout both bound the call", async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const a = await collect(
    measureStream(source(["x", "x", "x", "x", "x"], 30), { signal: ac.signal }),
  );
  assert.equal(a.stopReason, "abort");
  assert.ok(a.text.length < 5);
  const t = await collect(measureStream(source(["y", "y", "y", "y", "y"], 30), { timeoutMs: 70 }));
  assert.equal(t.stopReason, "timeout");
  assert.ok(t.text.length >= 1 && t.text.length < 5);
});

Deno.test("measureStream: reaching maxTokens reads as 'length'; source errors reject", async () => {
  const r = await collect(measureStream(source(["a", "b"], 1), { maxTokens: 2 }));
  assert.equal(r.stopReason, "length");
  const failing = async function* (): AsyncGenerator<Piece, SourceEnd> {
    yield { text: "a" };
    throw new Error("se cortó");
  };
  await assert.rejects(collect(measureStream(failing)), /se cortó/);
});
