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

Deno.test("processPeakRssBytes: another process's peak, with its children; null when gone", async () => {
  const { processPeakRssBytes, processTree } = await import("../lib/measure/rss.ts");
  const child = new Deno.Command("bash", { args: ["-c", "sleep 30 & wait"] }).spawn();
  try {
    let tree: number[] = [];
    for (let i = 0; i < 50 && tree.length < 2; i++) {
      tree = processTree(child.pid);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(tree[0], child.pid);
    assert.equal(tree.length, 2, "bash and its sleep");
    const own =
      Number(/VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${child.pid}/status`))![1]) * 1024;
    const peak = processPeakRssBytes(child.pid)!;
    assert.ok(peak > own, "the child's memory is added");
    assert.ok(peak < 100e6, "not this test process's memory");
  } finally {
    for (const p of processTree(child.pid).reverse()) {
      try {
        Deno.kill(p, "SIGTERM");
      } catch { /* gone */ }
    }
    await child.status;
  }
  assert.equal(processPeakRssBytes(child.pid), null);
});
