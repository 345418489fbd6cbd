/**
 * scripts/ollama_*.sh run for real against the offline `ollama` executable (scripts/offline):
 * start twice = one server, stop leaves no process, a foreign process on the port, a stale pid
 * file, a failed or hung start (log tail shown, nothing left behind), pull, install's checks.
 * Every test uses its own port (OLLAMA_HOST) and folder, and stops what it started.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  alive,
  OFFLINE_BIN,
  runScript as run,
  type ScriptEnv as Env,
  scriptEnv as testEnv,
  servePids,
  SYSTEM_PATH,
} from "./ollama_helpers.ts";

const pidOf = (env: Env) => Number(Deno.readTextFileSync(join(env.OLLAMA_KIT_DIR, "ollama.pid")));

async function answers(env: Env): Promise<boolean> {
  try {
    const res = await fetch(`http://${env.OLLAMA_HOST}/api/version`);
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Stops whatever a test started (the stop script, then the pid file's process if any). */
async function cleanup(env: Env) {
  await run("ollama_stop.sh", env);
  Deno.removeSync(env.OLLAMA_KIT_DIR, { recursive: true });
}

Deno.test("start twice = one server (offline, on OLLAMA_HOST's port); stop leaves nothing", async () => {
  const env = testEnv();
  try {
    const first = await run("ollama_start.sh", env);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /nohup ollama serve/);
    assert.match(first.out, /servidor local del kit, sin conexión; no es Ollama/);
    const pid = pidOf(env);
    assert.ok(alive(pid));
    assert.ok(await answers(env));
    const second = await run("ollama_start.sh", env);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, new RegExp(`ya está en marcha \\(pid ${pid}\\)`));
    assert.deepEqual(await servePids(env), [pid], "exactly one `ollama serve` on this port");
    // The offline executable's client commands talk to it.
    const list = await new Deno.Command(join(OFFLINE_BIN, "ollama"), {
      args: ["list"],
      env,
      clearEnv: true,
      stdout: "piped",
    }).output();
    assert.match(new TextDecoder().decode(list.stdout), /^NAME\s+ID\s+SIZE\s+MODIFIED/);

    const stop = await run("ollama_stop.sh", env);
    assert.equal(stop.code, 0, stop.err);
    assert.match(stop.out, new RegExp(`Parado ollama serve \\(pid ${pid}`));
    assert.ok(!alive(pid), "the server process is gone");
    assert.deepEqual(await servePids(env), []);
    assert.ok(!(await answers(env)), "nothing answers on the port");
    const again = await run("ollama_stop.sh", env);
    assert.match(again.out, /No había ningún ollama serve del kit en marcha/);
  } finally {
    await cleanup(env);
  }
});

Deno.test("stop leaves alone an ollama serve the kit did not start; --all stops it (pkill)", async () => {
  const env = testEnv();
  try {
    assert.equal((await run("ollama_start.sh", env)).code, 0);
    const pid = pidOf(env);
    // Without the pid file, this server is someone else's as far as the kit knows.
    Deno.removeSync(join(env.OLLAMA_KIT_DIR, "ollama.pid"));
    const stop = await run("ollama_stop.sh", env);
    assert.equal(stop.code, 0, stop.err);
    assert.match(stop.out, new RegExp(`otros «ollama serve» en marcha \\(pid [\\d ]*${pid}`));
    assert.match(stop.out, /no los toco/);
    assert.match(stop.out, /ollama_stop\.sh --all/);
    assert.ok(alive(pid), "a server the kit did not start keeps running");
    assert.ok(await answers(env));
    // --all runs the session's `pkill -f "ollama serve"`. On this shared machine a real pkill
    // would also stop other people's servers (the very thing the default avoids), so a `pkill`
    // first on PATH records its arguments and signals only this test's server.
    const shim = mkdtempSync("/tmp/pkill-shim-");
    Deno.writeTextFileSync(
      join(shim, "pkill"),
      `#!/usr/bin/env bash\necho "$*" >> "${shim}/calls"\nkill ${pid}\n`,
      { mode: 0o755 },
    );
    const all = await run("ollama_stop.sh", { ...env, PATH: `${shim}:${env.PATH}` }, ["--all"]);
    assert.match(all.out, /pkill -f "ollama serve"/);
    assert.equal(Deno.readTextFileSync(join(shim, "calls")).trim(), "-f ollama serve");
    assert.match(all.out, new RegExp(`Parado ollama serve \\(pid ${pid}\\)`));
    assert.ok(!alive(pid));
    Deno.removeSync(shim, { recursive: true });
  } finally {
    await cleanup(env);
  }
});

Deno.test("a pid file whose pid is now another program: that program is not killed", async () => {
  const env = testEnv();
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    Deno.mkdirSync(env.OLLAMA_KIT_DIR, { recursive: true });
    Deno.writeTextFileSync(join(env.OLLAMA_KIT_DIR, "ollama.pid"), String(sleeper.pid));
    const stop = await run("ollama_stop.sh", env);
    assert.equal(stop.code, 0, stop.err);
    assert.match(stop.out, new RegExp(`El pid ${sleeper.pid} .* no es ollama serve sino`));
    assert.ok(alive(sleeper.pid), "the unrelated process is alive");
    assert.throws(() => pidOf(env), "the stale pid file is removed");
  } finally {
    sleeper.kill("SIGTERM");
    await sleeper.status;
    await cleanup(env);
  }
});

Deno.test("a port held by something that is not Ollama → a clear error, nothing started", async () => {
  const env = testEnv();
  const port = Number(env.OLLAMA_HOST.split(":")[1]);
  const foreign = Deno.serve(
    { port, hostname: "127.0.0.1", onListen() {} },
    () => new Response("soy otro servicio"),
  );
  try {
    const r = await run("ollama_start.sh", env);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(`el puerto ${port} está ocupado por otro proceso que no es Ollama`),
    );
    assert.match(r.err, /OLLAMA_HOST=127\.0\.0\.1:/);
    assert.throws(() => pidOf(env), "no pid file written");
  } finally {
    await foreign.shutdown();
    await cleanup(env);
  }
});

Deno.test("a stale pid file is reported and replaced", async () => {
  const env = testEnv();
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  writeFileSync(join(env.OLLAMA_KIT_DIR, "ollama.pid"), `${dead.pid}\n`);
  try {
    const r = await run("ollama_start.sh", env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`Archivo pid obsoleto .*el pid ${dead.pid} ya no existe`));
    assert.notEqual(pidOf(env), dead.pid);
    assert.ok(alive(pidOf(env)));
  } finally {
    await cleanup(env);
  }
});

Deno.test("a start that fails shows the log's tail; one that hangs is killed after the timeout", async () => {
  const fakes = mkdtempSync("/tmp/ollama-fake-");
  const fake = join(fakes, "ollama");
  writeFileSync(fake, "#!/bin/sh\necho 'fallo simulado: no hay GPU compatible'\nexit 1\n", {
    mode: 0o755,
  });
  const env = testEnv(fakes);
  const failed = await run("ollama_start.sh", env);
  assert.equal(failed.code, 1);
  assert.match(failed.err, /terminó nada más arrancar/);
  assert.match(failed.err, /últimas líneas de .*ollama\.log/);
  assert.match(failed.err, /fallo simulado: no hay GPU compatible/);
  assert.throws(() => pidOf(env));

  const fakePid = join(fakes, "fake.pid");
  writeFileSync(
    fake,
    `#!/bin/sh\necho $$ > ${fakePid}\necho 'cargando... (simulado, nunca responde)'\nexec sleep 60\n`,
    { mode: 0o755 },
  );
  const hung = await run("ollama_start.sh", { ...env, OLLAMA_START_TIMEOUT: "2" });
  assert.equal(hung.code, 1);
  assert.match(hung.err, /no respondió .* tras 2 s: lo paro/);
  assert.match(hung.err, /nunca responde/);
  const pid = Number(Deno.readTextFileSync(fakePid).trim());
  assert.ok(pid > 0 && !alive(pid), "the hung process was killed");
  Deno.removeSync(fakes, { recursive: true });
  Deno.removeSync(env.OLLAMA_KIT_DIR, { recursive: true });
});

Deno.test("pull shows progress and success; without a server it says which script starts it", async () => {
  const env = testEnv();
  try {
    const down = await run("ollama_pull.sh", env, ["tiny"]);
    assert.equal(down.code, 1);
    assert.match(down.err, /scripts\/ollama_start\.sh/);
    assert.equal((await run("ollama_start.sh", env)).code, 0);
    const r = await run("ollama_pull.sh", env, ["tiny"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /pulling manifest/);
    assert.match(r.out, /pulling [0-9a-f]{12}\.\.\. 100%/);
    assert.match(r.out, /success/);
    const missing = await run("ollama_pull.sh", env, ["llama3.2:1b"]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /pull model manifest: file does not exist/);
  } finally {
    await cleanup(env);
  }
});

Deno.test("install: skips when ollama is on PATH; says so clearly without network", async () => {
  const env = testEnv();
  const skip = await run("ollama_install.sh", env);
  assert.equal(skip.code, 0);
  assert.match(skip.out, /ya está instalado/);
  assert.match(skip.out, /sustituto offline del kit/);

  const noOllama = {
    ...testEnv(""),
    PATH: SYSTEM_PATH,
    OLLAMA_INSTALL_URL: "http://127.0.0.1:9/install.sh",
  };
  const offline = await run("ollama_install.sh", noOllama);
  assert.equal(offline.code, 2);
  assert.match(offline.err, /Sin red: no se llega a http:\/\/127\.0\.0\.1:9\/install\.sh/);
  for (const e of [env, noOllama]) Deno.removeSync(e.OLLAMA_KIT_DIR, { recursive: true });
});

Deno.test("the offline executable without deno says how to get it", async () => {
  // A PATH with the tools the shim uses, but no deno.
  const bin = mkdtempSync("/tmp/ollama-nodeno-");
  for (const tool of ["dirname", "readlink"]) Deno.symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
  const { code, stderr } = await new Deno.Command("/bin/bash", {
    args: [join(OFFLINE_BIN, "ollama"), "list"],
    env: { PATH: bin, HOME: "/nonexistent" },
    clearEnv: true,
    stderr: "piped",
  }).output();
  assert.equal(code, 127);
  assert.match(new TextDecoder().decode(stderr), /necesita deno/);
  Deno.removeSync(bin, { recursive: true });
});
