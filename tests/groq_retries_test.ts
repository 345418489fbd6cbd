/**
 * Method 4's failures against the offline Groq-protocol server: retry-after honoured (or not
 * waited for when too long), every simulated failure mapped to its kind and a Spanish message
 * that says what to do, a disconnect mid-stream, timeouts, and the network down.
 */
import assert from "node:assert/strict";
import { groqBackend } from "../lib/methods/groq/backend.ts";
import { type GroqFailure, startGroqServer } from "../lib/methods/groq/standin/server.ts";
import { localBackend } from "../lib/methods/optimized/local.ts";
import { kitError, PROMPT, withServer } from "./groq_helpers.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";

Deno.test("groq: retry-after honoured — waits as told, then succeeds", async () => {
  await withServer(async (server, groq, notices) => {
    server.simulate({ kind: "rate-limit", retryAfterS: 1 });
    const start = performance.now();
    const r = await groq.generate(PROMPT, { maxTokens: 5 });
    const elapsed = performance.now() - start;
    assert.ok(r.text.length > 0);
    // A lower bound only (the wait is a 1 s timer; 5 ms for the timer's granularity): how much
    // longer a loaded machine takes says nothing about the backend.
    assert.ok(elapsed >= 995, `waited only ${elapsed} ms`);
    assert.deepEqual(server.log.slice(-2).map((e) => e.status), [429, 200]);
    assert.equal(notices.length, 1);
    assert.match(notices[0], /429.*esperar 1 s \(retry-after\).*Reintento 1 de 2/);
  });
});

Deno.test("groq: a retry-after longer than maxRetryWaitS is not waited for: the message says to wait", async () => {
  await withServer(async (server, groq, notices) => {
    server.simulate({ kind: "rate-limit", retryAfterS: 45 });
    const start = performance.now();
    const e = await kitError(groq.generate(PROMPT, { maxTokens: 5 }));
    // Not retried: one request only, and the 45 s were not waited for.
    assert.deepEqual(server.log.slice(-1).map((l) => l.status), [429]);
    assert.equal(server.log.filter((l) => l.path.endsWith("/chat/completions")).length, 1);
    assert.ok(performance.now() - start < 45_000);
    assert.equal(e.kind, "rate-limit");
    assert.equal(e.retryAfterS, 45);
    assert.match(e.message, /Espera 45 s \(lo pide la cabecera retry-after\)/);
    assert.deepEqual(notices, []);
  }, { maxRetryWaitS: 30 });
});

/**
 * A "slow" answer longer than any test: the server holds it until it closes, so a timeout test
 * cannot race the answer however loaded the machine is.
 */
const STALL_MS = 10 * 60_000;

/** Each simulated failure, the kind it must map to, and what its message must say. */
const FAILURES: { name: string; failure: GroqFailure; kind: string; says: RegExp[] }[] = [
  {
    name: "401",
    failure: { kind: "unauthorized" },
    kind: "auth",
    says: [/401/, /https:\/\/console\.groq\.com\/keys/, /\.env/, /gsk_•••• \(\d+ caracteres\)/],
  },
  {
    name: "429 that persists",
    failure: { kind: "rate-limit", retryAfterS: 1, times: 3 },
    kind: "rate-limit",
    says: [
      /límite de tokens por minuto alcanzado \(429\)/,
      /Espera 1 s/,
      /tokens este minuto: quedan 0 de 6000/,
      /peticiones hoy: quedan \d+ de 1000/,
      /Se reintentó 2 veces/,
    ],
  },
  {
    name: "500 that persists",
    failure: { kind: "server-error", status: 500, times: 3 },
    kind: "server",
    says: [/\(500\)/, /no es un fallo de tu código/, /Se reintentó 2 veces/, /groqstatus\.com/],
  },
  {
    name: "retired model (400 model_decommissioned)",
    failure: { kind: "retired" },
    kind: "model-unavailable",
    says: [
      /retiró el modelo «kit-offline-kit-es»/,
      // The retired model is not offered back as available (issue 19, item 15).
      /no ofrece ningún otro modelo de chat/,
      /GROQ_MODEL/,
    ],
  },
];

for (const { name, failure, kind, says } of FAILURES) {
  Deno.test(`groq: simulated ${name} → ${kind}, with a message that says what to do`, async () => {
    await withServer(async (server, groq) => {
      server.simulate(failure);
      const e = await kitError(groq.generate(PROMPT, { maxTokens: 5 }));
      assert.equal(e.kind, kind);
      for (const re of says) assert.match(e.message, re);
      // The backend still works once the failure is over.
      server.simulate(null);
      assert.ok((await groq.generate(PROMPT, { maxTokens: 3 })).text.length > 0);
    });
  });
}

Deno.test("groq: 401 when creating the backend (models.list checks the key)", async () => {
  const server = await startGroqServer({
    backend: await localBackend(),
    simulate: [{ kind: "unauthorized" }],
  });
  try {
    const e = await kitError(groqBackend({ apiKey: FAKE_GROQ_KEY, baseURL: server.url }));
    assert.equal(e.kind, "auth");
    assert.equal(e.status, 401);
  } finally {
    await server.close();
  }
});

Deno.test("groq: disconnect mid-stream → stream-cut, partial text kept on the error", async () => {
  await withServer(async (server, groq) => {
    const full = await groq.stream(PROMPT, { maxTokens: 10 }).result;
    server.simulate({ kind: "disconnect", afterChunks: 3 });
    const s = groq.stream(PROMPT, { maxTokens: 10 });
    const seen: string[] = [];
    const e = await kitError((async () => {
      for await (const p of s) seen.push(p);
    })());
    assert.equal(e.kind, "stream-cut");
    assert.match(e.message, /se cortó a mitad de la respuesta \(llegaron 3 tokens\)/);
    assert.equal(e.partialText, seen.join(""));
    assert.ok(full.text.startsWith(e.partialText!));
    await assert.rejects(s.result);
  });
});

Deno.test("groq: timeout waiting for the answer → timeout message", async () => {
  await withServer(async (server, groq) => {
    // The server holds the answer until it closes: only the client's time limit can end this.
    server.simulate({ kind: "slow", delayMs: STALL_MS });
    const e = await kitError(groq.generate(PROMPT, { maxTokens: 3 }));
    assert.equal(e.kind, "timeout");
    assert.match(e.message, /no respondió en 0\.3 s \(tiempo límite agotado\)/);
  }, { requestTimeoutMs: 300, maxRetries: 0 });
});

Deno.test("groq: the call's own timeoutMs also ends in the timeout message (not a silent stop)", async () => {
  await withServer(async (server, groq) => {
    server.simulate({ kind: "slow", delayMs: STALL_MS });
    const e = await kitError(groq.stream(PROMPT, { maxTokens: 3, timeoutMs: 400 }).result);
    assert.equal(e.kind, "timeout");
    assert.match(e.message, /no respondió en 0\.4 s/);
  });
});

Deno.test("groq: network down → network message, after announced retries", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const notices: string[] = [];
  const e = await kitError(
    groqBackend({
      apiKey: FAKE_GROQ_KEY,
      baseURL: `http://127.0.0.1:${port}`,
      maxRetries: 1,
      notify: (m) => notices.push(m),
    }),
  );
  assert.equal(e.kind, "network");
  assert.match(e.message, /No se pudo conectar con http:\/\/127\.0\.0\.1:\d+\. Se reintentó 1 vez/);
  assert.match(e.message, /KIT_OFFLINE=1/);
  assert.deepEqual(notices, ["Groq: no se pudo conectar. Reintento 1 de 1 en 0.5 s…"]);
});
