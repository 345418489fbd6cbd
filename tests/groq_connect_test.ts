/** lib/offline/groq_connect + groq_demo: online/offline choice, and the errors section. */
import assert from "node:assert/strict";
import { findSecrets } from "../lib/core/secrets.ts";
import {
  connectGroq,
  connectionRows,
  OFFLINE_PLACEHOLDER_KEY,
} from "../lib/methods/groq/connect.ts";
import { errorDemos } from "../lib/methods/groq/demo.ts";
import { spawnGroqServer } from "../lib/methods/groq/standin/process.ts";
import { captureConsole, withEnv } from "./groq_helpers.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";

const OFFLINE_ENV = {
  KIT_OFFLINE: "1",
  KIT_ENV_FILE: "/nonexistent/.env",
  GROQ_API_KEY: FAKE_GROQ_KEY,
};

Deno.test("connectGroq: KIT_OFFLINE=1 → local server, placeholder key, the real key never sent", async () => {
  await withEnv(OFFLINE_ENV, async () => {
    const { value: conn, text } = await captureConsole(() => connectGroq());
    try {
      assert.equal(conn.mode, "offline");
      assert.equal(conn.backend.mode, "offline");
      assert.match(conn.reason, /KIT_OFFLINE=1/);
      assert.ok(conn.server);
      assert.equal(conn.backend.baseURL, conn.server.url);
      assert.equal(conn.backend.maskedKey, `•••• (${OFFLINE_PLACEHOLDER_KEY.length} caracteres)`);
      assert.deepEqual(findSecrets(OFFLINE_PLACEHOLDER_KEY), []);
      const rows = connectionRows(conn);
      const table = JSON.stringify(rows);
      assert.match(table, /offline: servidor local del kit \(NO es Groq\)/);
      assert.match(table, /ninguna \(marcador offline, no es una clave\)/);
      const r = await conn.backend.generate("La memoria", { maxTokens: 5 });
      assert.ok(r.text.length > 0);
      assert.ok(!(table + text).includes(FAKE_GROQ_KEY.slice(4)));
    } finally {
      await conn.close();
    }
    // Stopped: the port no longer answers.
    await assert.rejects(fetch(`${conn.server!.url}/openai/v1/models`));
  });
});

Deno.test("connectGroq: no key → offline, saying where to get one", async () => {
  await withEnv({ ...OFFLINE_ENV, KIT_OFFLINE: undefined, GROQ_API_KEY: undefined }, async () => {
    const { value: conn } = await captureConsole(() => connectGroq());
    try {
      assert.equal(conn.mode, "offline");
      assert.match(
        conn.reason,
        /sin GROQ_API_KEY: consíguela en https:\/\/console\.groq\.com\/keys/,
      );
    } finally {
      await conn.close();
    }
  });
});

Deno.test("connectGroq: a key but Groq unreachable → says why, falls back to the local server", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await withEnv({ ...OFFLINE_ENV, KIT_OFFLINE: undefined }, async () => {
    const notices: string[] = [];
    const conn = await connectGroq({
      groq: { baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 },
      notify: (m) => notices.push(m),
    });
    try {
      assert.equal(conn.mode, "offline");
      assert.match(conn.reason, /Groq no disponible \(network\)/);
      assert.match(notices.join("\n"), /No se pudo usar Groq: No se pudo conectar/);
      assert.ok(!notices.join("").includes(FAKE_GROQ_KEY.slice(4)));
    } finally {
      await conn.close();
    }
    await assert.rejects(
      connectGroq({
        groq: { baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 },
        fallback: false,
      }),
    );
  });
});

Deno.test("errorDemos (offline): every failure provoked, mapped, retry-after honoured, no key", async () => {
  await withEnv(OFFLINE_ENV, async () => {
    const { value: conn } = await captureConsole(() => connectGroq());
    try {
      const { value: rows, text } = await captureConsole(() => errorDemos(conn));
      assert.deepEqual(rows.map((r) => r.resultado), [
        "auth",
        "model-unavailable",
        "network",
        "ok",
        "rate-limit",
        "server",
        "model-unavailable",
        "stream-cut",
        "timeout",
      ]);
      const retried = rows[3];
      assert.ok(retried.segundos >= 1, `retry-after not honoured: ${retried.segundos}`);
      assert.match(retried.mensaje, /esperar 1 s \(retry-after\)/);
      const all = JSON.stringify(rows) + text;
      assert.ok(!all.includes(FAKE_GROQ_KEY.slice(4)));
      assert.deepEqual(findSecrets(all), []);
      // The server is left without pending failures, and still answers.
      assert.ok((await conn.backend.generate("Hola", { maxTokens: 3 })).text.length > 0);
    } finally {
      await conn.close();
    }
  });
});

Deno.test("spawnGroqServer: the child outlives neither close() nor a parent that dies", async () => {
  // A parent that starts the server, prints its URL and exits without closing it.
  const script = [
    `import { spawnGroqServer } from ${
      JSON.stringify(new URL("../lib/methods/groq/standin/process.ts", import.meta.url).href)
    };`,
    "const s = await spawnGroqServer({ log: () => {} });",
    "console.log(s.url);",
    "Deno.exit(0);",
  ].join("\n");
  const parent = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const url = new TextDecoder().decode(parent.stdout).trim();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, new TextDecoder().decode(parent.stderr));
  const deadline = performance.now() + 10_000;
  let gone = false;
  while (!gone && performance.now() < deadline) {
    try {
      const res = await fetch(`${url}/openai/v1/models`, {
        headers: { authorization: "Bearer x" },
      });
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, 100));
    } catch {
      gone = true;
    }
  }
  assert.ok(gone, "the orphaned server is still answering");
});

Deno.test("spawnGroqServer: the child process gets no secret in its environment", async () => {
  await withEnv({ GROQ_API_KEY: FAKE_GROQ_KEY, HF_TOKEN: "hf_" + "x".repeat(34) }, async () => {
    const server = await spawnGroqServer({ log: () => {} });
    try {
      const environ = await Deno.readTextFile(`/proc/${server.pid}/environ`);
      assert.ok(environ.includes("PATH="), "reads the child's environment");
      assert.ok(!environ.includes("GROQ_API_KEY") && !environ.includes(FAKE_GROQ_KEY.slice(4)));
      assert.ok(!environ.includes("HF_TOKEN"));
      await server.simulate({ kind: "unauthorized" });
      const res = await fetch(`${server.url}/openai/v1/models`, {
        headers: { authorization: "Bearer x" },
      });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      assert.deepEqual((await server.requests()).map((r) => r.status), [401]);
    } finally {
      await server.close();
    }
  });
});
