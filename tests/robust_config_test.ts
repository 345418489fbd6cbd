/**
 * Issue 18, items 10, 11, 18 and 19: bad settings never crash or mislead. OLLAMA_HOST that is
 * not an address, any HTTP server that is not Ollama on OLLAMA_HOST, GROQ_MODEL set while
 * method 4 runs offline, GROQ_BASE_URL that is not a URL, and a `.env` value with an unclosed
 * quote.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { envProblems, KitError, loadEnv, ROOT } from "../lib/core/mod.ts";
import { openAllBackends } from "../lib/methods/mod.ts";
import { ollamaMode } from "../lib/methods/ollama/mode.ts";
import { ollamaBackend } from "../lib/methods/ollama/backend.ts";
import { groqMode } from "../lib/methods/groq/mode.ts";
import { groqBackend } from "../lib/methods/groq/backend.ts";
import { tempDir } from "./_notebooks.ts";
import { withEnv } from "./groq_helpers.ts";
import { freePort } from "./ollama_helpers.ts";

/** No keys, no .env, no hub, not forced offline: what a student's laptop without set-up has. */
const BARE = {
  KIT_OFFLINE: undefined,
  KIT_ENV_FILE: "/nonexistent/.env",
  GROQ_API_KEY: undefined,
  GROQ_BASE_URL: undefined,
  HF_ENDPOINT: "http://127.0.0.1:9",
};

Deno.test("OLLAMA_HOST=::garbage:: → offline with the reason; the backend and the CLI say it", async () => {
  await withEnv({ ...BARE, OLLAMA_HOST: "::garbage::" }, async () => {
    const mode = await ollamaMode();
    assert.equal(mode.mode, "offline");
    assert.match(mode.reason, /OLLAMA_HOST="::garbage::" no es una dirección válida/);
    assert.doesNotMatch(mode.reason, /\.;/);
    await assert.rejects(ollamaBackend({ model: "tiny" }), (e: unknown) => {
      assert.ok(e instanceof KitError);
      assert.match(e.message, /OLLAMA_HOST="::garbage::" no es una dirección válida/);
      return true;
    });
  });
  for (const command of ["serve", "list"]) {
    const { code, stderr } = await new Deno.Command("bash", {
      args: [join(ROOT, "scripts", "offline", "ollama"), command],
      env: { OLLAMA_HOST: "::garbage::", DENO_BIN: Deno.execPath() },
      stdout: "null",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 1, err);
    assert.match(err, /^Error: OLLAMA_HOST="::garbage::" no es una dirección válida/);
    assert.doesNotMatch(err, /Uncaught|TypeError|\s{4}at /);
  }
});

Deno.test("python3 -m http.server on OLLAMA_HOST is not taken for Ollama", async () => {
  const port = freePort();
  const server = new Deno.Command("python3", {
    args: ["-m", "http.server", String(port), "--bind", "127.0.0.1", "-d", tempDir("http-")],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await (await fetch(`http://127.0.0.1:${port}/`)).body?.cancel();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await withEnv({ ...BARE, OLLAMA_HOST: `127.0.0.1:${port}` }, async () => {
      const mode = await ollamaMode();
      assert.ok(!(mode.mode === "online" && mode.needs === null), mode.reason);
      assert.match(
        mode.reason,
        new RegExp(`en http://127.0.0.1:${port} responde un servidor que no es Ollama: HTTP 404`),
      );
      await assert.rejects(ollamaBackend({ model: "tiny" }), (e: unknown) => {
        assert.ok(e instanceof KitError);
        assert.match(e.message, /responde, pero no como Ollama \(GET \/api\/version → 404\)/);
        return true;
      });
    });
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
});

Deno.test("GROQ_MODEL set while method 4 runs offline: the stand-in's model is used", async () => {
  await withEnv(
    { ...BARE, OLLAMA_HOST: "::garbage::", GROQ_MODEL: "llama-3.3-70b-versatile" },
    async () => {
      const opened = await openAllBackends();
      try {
        assert.deepEqual(opened.failures, []);
        assert.deepEqual(opened.backends.map((b) => [b.method, b.mode]), [
          [1, "offline"],
          [2, "offline"],
          [3, "offline"],
          [4, "offline"],
        ]);
        const groq = opened.backends[3] as unknown as { model: string };
        assert.match(groq.model, /^kit-offline/);
      } finally {
        await opened.close();
      }
    },
  );
});

Deno.test("GROQ_BASE_URL=ht!tp://::nope: offline mode says why; the backend refuses it at once", async () => {
  const key = "gsk_" + "x".repeat(52);
  await withEnv({ ...BARE, GROQ_API_KEY: key, GROQ_BASE_URL: "ht!tp://::nope" }, async () => {
    const mode = await groqMode();
    assert.equal(mode.mode, "offline");
    assert.match(mode.reason, /GROQ_BASE_URL="ht!tp:\/\/::nope" no es una URL http\(s\) válida/);
    const notes: string[] = [];
    await assert.rejects(groqBackend({ notify: (m) => notes.push(m) }), (e: unknown) => {
      assert.ok(e instanceof KitError);
      assert.equal(e.retryable, false);
      assert.match(e.message, /GROQ_BASE_URL \(en \.env\) vale "ht!tp:\/\/::nope"/);
      assert.doesNotMatch(e.message, /internet|conexión/);
      return true;
    });
    assert.deepEqual(notes, [], "no retries");
  });
});

Deno.test(".env: a value with an unclosed quote is flagged by line, never by value", async () => {
  const text = [
    'GROQ_API_KEY="gsk_secreto', // 1: never closed
    "GROQ_MODEL=llama", // 2
    "HF_TOKEN='hf_x", // 3: closed only after an assignment → swallows line 4
    "KIT_OFFLINE=1", // 4
    "fin'", // 5: no NAME= → also flagged
    'NOTA="dos', // 6: a genuine multi-line value
    'líneas"', // 7
  ].join("\n");
  const problems = envProblems(text);
  assert.deepEqual(problems.map((p) => p.line), [1, 3, 5]);
  assert.match(problems[0].why, /GROQ_API_KEY abre una comilla \(\"\) que no se cierra/);
  assert.match(problems[1].why, /se tragaría la línea 4/);
  const path = join(tempDir("env-"), ".env");
  writeFileSync(path, text);
  const names = ["GROQ_API_KEY", "GROQ_MODEL", "HF_TOKEN", "KIT_OFFLINE", "NOTA"];
  await withEnv(Object.fromEntries(names.map((k) => [k, undefined])), () => {
    const loaded = loadEnv(path, { quiet: true });
    assert.ok(loaded.messages.every((m) => !m.includes("secreto") && !m.includes("hf_x")));
    assert.match(loaded.messages[0], /^\.env, línea 1: el valor de GROQ_API_KEY/);
  });
});
