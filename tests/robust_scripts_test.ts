/**
 * Issue 18, item 12: scripts/ollama_stop.sh and ollama_start.sh never signal a process that is
 * not `ollama serve` — not the pid file's (stale, its number reused by `sleep`), not a process
 * whose command line merely mentions "ollama serve" (what `pgrep -f` matches).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive, runScript as run, scriptEnv as testEnv } from "./ollama_helpers.ts";

/** A long-running process that is not ollama: `sleep`, or `sh` with "ollama serve" in its $0. */
function decoy(args: string[]): Deno.ChildProcess {
  return new Deno.Command(args[0], { args: args.slice(1), stdin: "null", stdout: "null" }).spawn();
}

Deno.test("stop: a pid file naming another process (sleep) leaves it alone", async () => {
  const env = testEnv();
  const sleep = decoy(["sleep", "300"]);
  const mention = decoy(["sh", "-c", "sleep 300; true", "ollama serve"]);
  try {
    writeFileSync(join(env.OLLAMA_KIT_DIR, "ollama.pid"), `${sleep.pid}\n`);
    const r = await run("ollama_stop.sh", env);
    assert.equal(r.code, 0, r.err);
    assert.ok(alive(sleep.pid), "sleep was not signalled");
    assert.ok(alive(mention.pid), "a command line that mentions ollama serve is not ollama");
    assert.match(r.out, new RegExp(`El pid ${sleep.pid} .* no es ollama serve .*sleep 300`));
    assert.doesNotMatch(r.out, /Parado ollama serve/);
    assert.throws(() => Deno.statSync(join(env.OLLAMA_KIT_DIR, "ollama.pid")), "file removed");
  } finally {
    sleep.kill("SIGKILL");
    mention.kill("SIGKILL");
    await Promise.all([sleep.status, mention.status]);
    Deno.removeSync(env.OLLAMA_KIT_DIR, { recursive: true });
  }
});

Deno.test("start: a pid file naming another process starts a new server and spares it", async () => {
  const env = testEnv();
  const sleep = decoy(["sleep", "300"]);
  try {
    writeFileSync(join(env.OLLAMA_KIT_DIR, "ollama.pid"), `${sleep.pid}\n`);
    const r = await run("ollama_start.sh", env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /no ollama serve\): no lo toco/);
    assert.ok(alive(sleep.pid));
    const pid = Number(Deno.readTextFileSync(join(env.OLLAMA_KIT_DIR, "ollama.pid")));
    assert.notEqual(pid, sleep.pid);
    const stop = await run("ollama_stop.sh", env);
    assert.match(stop.out, new RegExp(`Parado ollama serve \\(pid ${pid}`));
    assert.ok(!alive(pid) && alive(sleep.pid));
  } finally {
    await run("ollama_stop.sh", env);
    sleep.kill("SIGKILL");
    await sleep.status;
    Deno.removeSync(env.OLLAMA_KIT_DIR, { recursive: true });
  }
});
