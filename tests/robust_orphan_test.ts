/**
 * Issue 18, item 21: the Ollama stand-in started by the kit (spawnServer, as the demo starts
 * it) exits when the process that started it is killed with SIGKILL, like the Groq stand-in.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../lib/core/paths.ts";

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

Deno.test("SIGKILL of the parent: the Ollama stand-in exits and frees its port", async () => {
  const parent = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tests", "testdata", "robust", "spawn_ollama_standin.ts")],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const { pid, url } = JSON.parse(text.trim()) as { pid: number; url: string };
  let standIn = 0;
  try {
    const res = await fetch(`${url}/api/version`);
    assert.match((await res.json()).version, /kit-offline/);
    // The stand-in is the deno process the shim exec'd: the one listening, child of `parent`.
    standIn = pid;
    assert.ok(alive(standIn));
    parent.kill("SIGKILL");
    await parent.status;
    await reader.cancel().catch(() => {});
    // Wait for it to notice (bounded: a stand-in that never exits fails the test).
    for (let i = 0; i < 200 && alive(standIn); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(standIn), "the stand-in outlived its parent");
    await assert.rejects(fetch(`${url}/api/version`), "nothing listens any more");
  } finally {
    if (standIn && alive(standIn)) Deno.kill(standIn, "SIGKILL");
  }
});
