/** lib/measure/rss: the peak follows a real allocation and can be reset. */
import assert from "node:assert/strict";
import { currentRssBytes, peakRssBytes, resetPeakRss } from "../lib/measure/rss.ts";

Deno.test("peak RSS grows by a touched 256 MiB buffer after a reset", () => {
  assert.ok(resetPeakRss(), "clear_refs is writable on Linux");
  const before = peakRssBytes();
  let buf: Uint8Array | null = new Uint8Array(256 * 2 ** 20);
  buf.fill(1); // touch every page so it becomes resident
  const during = peakRssBytes();
  assert.ok(during - before >= 250 * 2 ** 20, `${during - before}`);
  buf = null;
  assert.ok(currentRssBytes() <= peakRssBytes());
});
