/**
 * lib/backends/groq against the offline Groq-protocol server generating with the forge's
 * `tiny` model: streaming = non-streaming, usage consistent, every failure mapped to its
 * Spanish message, retry-after honoured, and the key never in any output, log or error.
 */
import assert from "node:assert/strict";
import { KitError } from "../lib/core/mod.ts";
import { APIConnectionError, APIError, RateLimitError } from "groq-sdk";
import {
  chooseModel,
  compareTimings,
  findGroqKey,
  type GroqBackend,
  groqBackend,
  type GroqOptions,
  redact,
} from "../lib/methods/groq/backend.ts";
import { toGroqError } from "../lib/methods/groq/errors.ts";
import { formatGoDuration, parseGoDuration, parseRateLimits } from "../lib/methods/groq/wire.ts";
import { findSecrets } from "../lib/core/secrets.ts";
import {
  type GroqFailure,
  type GroqServer,
  startGroqServer,
} from "../lib/methods/groq/standin/server.ts";
import { localBackend } from "../lib/methods/optimized/local.ts";
import { captureConsole, withEnv } from "./groq_helpers.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";

const PROMPT = "La memoria";

/** Runs `fn` with a fresh server on the tiny model, and a backend using the FAKE key. */
async function withServer(
  fn: (server: GroqServer, groq: GroqBackend, notices: string[]) => Promise<void>,
  opts: GroqOptions = {},
): Promise<void> {
  const server = await startGroqServer({ backend: await localBackend() });
  const notices: string[] = [];
  try {
    const groq = await groqBackend({
      apiKey: FAKE_GROQ_KEY,
      baseURL: server.url,
      notify: (m) => notices.push(m),
      ...opts,
    });
    await fn(server, groq, notices);
  } finally {
    await server.close();
  }
}

/** The error `promise` rejects with, which must be a KitError. */
async function kitError(promise: Promise<unknown>): Promise<KitError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KitError, `not a KitError: ${error}`);
    return error;
  }
  assert.fail("expected an error");
}

Deno.test("groq: offline server → mode offline, the one model chosen from the list", async () => {
  await withServer((server, groq) => {
    assert.equal(groq.mode, "offline");
    assert.equal(groq.method, 4);
    assert.equal(groq.model, server.modelId);
    assert.match(groq.modelChoice, /elegido de los 1 modelos/);
    assert.equal(groq.maskedKey, `gsk_•••• (${FAKE_GROQ_KEY.length} caracteres)`);
    assert.deepEqual(groq.models.map((m) => m.id), ["kit-offline-kit-es"]);
    return Promise.resolve();
  });
});

Deno.test("groq: streamed text = non-streamed text = the tiny model's own; usage consistent", async () => {
  await withServer(async (_server, groq) => {
    const direct = await (await localBackend()).generate([{ role: "user", content: PROMPT }], {
      maxTokens: 20,
    });
    const json = await groq.generate(PROMPT, { maxTokens: 20 });
    const s = groq.stream(PROMPT, { maxTokens: 20 });
    const pieces: string[] = [];
    for await (const p of s) pieces.push(p);
    const streamed = await s.result;

    assert.ok(json.text.length > 0);
    assert.equal(streamed.text, json.text);
    assert.equal(json.text, direct.text);
    assert.equal(pieces.join(""), streamed.text);
    // One piece per token on the tiny model: Groq's completion_tokens counts them.
    assert.equal(streamed.tokensOut, pieces.length);
    assert.equal(json.tokensOut, streamed.tokensOut);
    assert.equal(json.tokensIn, direct.tokensIn);
    assert.equal(streamed.tokensIn, direct.tokensIn);
    assert.equal(streamed.stopReason, direct.stopReason);
    assert.equal(json.model, "kit-offline-kit-es");

    for (const r of [json, streamed]) {
      const t = r.serviceTimings!;
      for (const k of ["queueMs", "promptMs", "completionMs", "totalMs"]) {
        assert.ok(typeof t[k] === "number" && t[k] >= 0, `${k}: ${t[k]}`);
      }
      assert.ok(Math.abs(t.totalMs - (t.promptMs + t.completionMs)) < 1e-6);
      // Groq's timings are part of the call the client measured.
      assert.ok(t.queueMs + t.totalMs <= r.timings.totalMs + 1, JSON.stringify(r));
      assert.ok(
        Math.abs(
          (r.details!.serviceTokensPerSecond as number) - r.tokensOut / (t.completionMs / 1000),
        ) < 1e-6,
      );
      assert.equal(r.details!.offline, true);
      assert.match(String(r.details!.requestId), /^req_/);
    }
    assert.equal(json.details!.streaming, false);
    assert.equal(streamed.details!.streaming, true);
    // Streaming gives the client a TTFT and a decode rate; a JSON answer arrives all at once.
    assert.ok(streamed.timings.ttftMs! < streamed.timings.totalMs);
    assert.ok(streamed.timings.tokensPerSecond! > 0);
    assert.equal(json.timings.tokensPerSecond, null);

    const rows = compareTimings(streamed);
    assert.equal(rows.find((r) => r.medida.startsWith("Tokens de salida"))!.groq, pieces.length);
    // Rate limits were read from the response headers.
    assert.equal(groq.rateLimits!.limitRequests, 1000);
    assert.ok(groq.rateLimits!.remainingRequests! <= 998);
  });
});

Deno.test("groq: maxTokens bounds the answer (stopReason length)", async () => {
  await withServer(async (_server, groq) => {
    const r = await groq.stream(PROMPT, { maxTokens: 3 }).result;
    assert.equal(r.tokensOut, 3);
    assert.equal(r.stopReason, "length");
  });
});

Deno.test("groq: abort mid-stream keeps the text so far", async () => {
  await withServer(async (_server, groq) => {
    const s = groq.stream(PROMPT, { maxTokens: 200 });
    const pieces: string[] = [];
    for await (const p of s) {
      pieces.push(p);
      if (pieces.length === 3) s.abort();
    }
    const r = await s.result;
    assert.equal(r.stopReason, "abort");
    assert.equal(r.text, pieces.join(""));
  });
});

Deno.test("groq: retry-after honoured — waits as told, then succeeds", async () => {
  await withServer(async (server, groq, notices) => {
    server.simulate({ kind: "rate-limit", retryAfterS: 1 });
    const start = performance.now();
    const r = await groq.generate(PROMPT, { maxTokens: 5 });
    const elapsed = performance.now() - start;
    assert.ok(r.text.length > 0);
    assert.ok(elapsed >= 1000, `waited only ${elapsed} ms`);
    assert.ok(elapsed < 5000, `waited ${elapsed} ms`);
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
    assert.ok(performance.now() - start < 2000);
    assert.equal(e.kind, "rate-limit");
    assert.equal(e.retryAfterS, 45);
    assert.match(e.message, /Espera 45 s \(lo pide la cabecera retry-after\)/);
    assert.deepEqual(notices, []);
  }, { maxRetryWaitS: 30 });
});

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
      /Modelos disponibles ahora: kit-offline-kit-es\./,
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

Deno.test("groq: configured model not served → message lists what is available", async () => {
  await withServer(async (server) => {
    for (const model of ["llama-3.1-8b-instant", "no-existe"]) {
      const e = await kitError(groqBackend({ apiKey: FAKE_GROQ_KEY, baseURL: server.url, model }));
      assert.equal(e.kind, "model-unavailable");
      assert.deepEqual(e.availableModels, ["kit-offline-kit-es"]);
      assert.match(e.message, new RegExp(`«${model}» no está en la lista`));
      assert.match(e.message, /Modelos disponibles ahora: kit-offline-kit-es/);
    }
    await withEnv({ GROQ_MODEL: "llama-3.3-70b-versatile" }, async () => {
      const e = await kitError(groqBackend({ apiKey: FAKE_GROQ_KEY, baseURL: server.url }));
      assert.equal(e.kind, "model-unavailable");
      assert.match(e.message, /llama-3\.3-70b-versatile/);
    });
  });
});

Deno.test("groq: timeout waiting for the answer → timeout message", async () => {
  await withServer(async (server, groq) => {
    server.simulate({ kind: "slow", delayMs: 1500 });
    const e = await kitError(groq.generate(PROMPT, { maxTokens: 3 }));
    assert.equal(e.kind, "timeout");
    assert.match(e.message, /no respondió en 0\.3 s \(tiempo límite agotado\)/);
  }, { requestTimeoutMs: 300, maxRetries: 0 });
});

Deno.test("groq: the call's own timeoutMs also ends in the timeout message (not a silent stop)", async () => {
  await withServer(async (server, groq) => {
    server.simulate({ kind: "slow", delayMs: 1500 });
    const start = performance.now();
    const e = await kitError(groq.stream(PROMPT, { maxTokens: 3, timeoutMs: 400 }).result);
    assert.ok(performance.now() - start < 1000);
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

Deno.test("groq: missing key → where to get one and where to put it", async () => {
  await withEnv({ GROQ_API_KEY: undefined, KIT_ENV_FILE: "/nonexistent/.env" }, async () => {
    assert.equal(findGroqKey(), null);
    const e = await kitError(groqBackend());
    assert.match(e.message, /No hay archivo \.env \(se buscó en \/nonexistent\/\.env\)/);
    assert.equal(e.kind, "missing-key");
    for (const re of [/GROQ_API_KEY/, /https:\/\/console\.groq\.com\/keys/, /\.env/, /Colab/]) {
      assert.match(e.message, re);
    }
  });
  await withEnv({ GROQ_API_KEY: FAKE_GROQ_KEY }, () => {
    const key = findGroqKey()!;
    assert.equal(key.source, "entorno");
    assert.equal(key.masked, `gsk_•••• (${FAKE_GROQ_KEY.length} caracteres)`);
    return Promise.resolve();
  });
});

Deno.test("groq: the key appears in no output, log, error or object, whatever fails", async () => {
  const secretPart = FAKE_GROQ_KEY.slice(4);
  const captured: string[] = [];
  const { text } = await captureConsole(async () => {
    const server = await startGroqServer({ backend: await localBackend() });
    try {
      const groq = await groqBackend({ apiKey: FAKE_GROQ_KEY, baseURL: server.url });
      captured.push(Deno.inspect(groq, { depth: 10, showHidden: true }), JSON.stringify(groq));
      const failures: GroqFailure[] = [
        { kind: "unauthorized" },
        { kind: "rate-limit", retryAfterS: 0, times: 3 },
        { kind: "server-error", times: 3 },
        { kind: "retired" },
        { kind: "disconnect", afterChunks: 1 },
      ];
      for (const f of failures) {
        server.simulate(f);
        for (const streaming of [false, true]) {
          try {
            if (streaming) await groq.stream(PROMPT, { maxTokens: 4 }).result;
            else await groq.generate(PROMPT, { maxTokens: 4 });
          } catch (e) {
            captured.push(String(e), (e as Error).stack ?? "", JSON.stringify(e));
            captured.push(Deno.inspect(e, { depth: 10, showHidden: true }));
          }
        }
      }
      server.simulate({ kind: "unauthorized" });
      try {
        await groqBackend({ apiKey: FAKE_GROQ_KEY, baseURL: server.url });
      } catch (e) {
        captured.push(Deno.inspect(e, { depth: 10, showHidden: true }));
      }
      captured.push(JSON.stringify(server.log));
    } finally {
      await server.close();
    }
  });
  captured.push(text);
  const all = captured.join("\n");
  assert.ok(all.includes("gsk_••••"), "the masked form is what is shown");
  assert.ok(!all.includes(secretPart), "the key leaked");
  assert.deepEqual(findSecrets(all), []);
});

Deno.test("groq: error mapping from groq-sdk's own error objects (real Groq bodies)", () => {
  const ctx = { apiKey: FAKE_GROQ_KEY, baseURL: "https://api.groq.com", model: "m" };
  const headers = new Headers({
    "retry-after": "7",
    "x-ratelimit-limit-requests": "1000",
    "x-ratelimit-remaining-requests": "12",
    "x-ratelimit-reset-requests": "2m59.56s",
    "x-ratelimit-limit-tokens": "6000",
    "x-ratelimit-remaining-tokens": "0",
    "x-ratelimit-reset-tokens": "7.66s",
  });
  const rate = toGroqError(
    new RateLimitError(
      429,
      {
        message: "Rate limit reached for model `m` … Please try again in 6.5s.",
        type: "tokens",
        code: "rate_limit_exceeded",
      },
      undefined,
      headers,
    ),
    ctx,
  );
  assert.equal(rate.kind, "rate-limit");
  assert.equal(rate.retryAfterS, 7);
  assert.match(rate.message, /peticiones hoy: quedan 12 de 1000 \(se renuevan en 2 min 59\.6 s\)/);
  assert.match(rate.message, /tokens este minuto: quedan 0 de 6000 \(se renuevan en 7\.7 s\)/);
  // Without retry-after, Groq's "try again in …" is read.
  const noHeader = toGroqError(
    new RateLimitError(
      429,
      { message: "Please try again in 1m2.5s.", type: "requests" },
      undefined,
      new Headers(),
    ),
    ctx,
  );
  assert.equal(noHeader.retryAfterS, 62.5);
  assert.match(noHeader.message, /límite de peticiones/);

  const gone = toGroqError(
    APIError.generate(
      404,
      {
        error: {
          message: "The model `m` does not exist",
          type: "invalid_request_error",
          code: "model_not_found",
        },
      },
      undefined,
      new Headers(),
    ),
    ctx,
  );
  assert.equal(gone.kind, "model-unavailable");
  const echoed = toGroqError(
    APIError.generate(
      400,
      { error: { message: `bad key ${FAKE_GROQ_KEY}`, type: "x" } },
      undefined,
      new Headers(),
    ),
    ctx,
  );
  assert.equal(echoed.kind, "bad-request");
  assert.ok(
    !echoed.message.includes(FAKE_GROQ_KEY.slice(4)),
    "a server echo of the key is redacted",
  );
  const down = toGroqError(
    new APIConnectionError({ cause: new TypeError("fetch failed") }),
    ctx,
  );
  assert.equal(down.kind, "network");
  const midStream = toGroqError(
    new APIError(undefined, { message: "overloaded", type: "server" }, undefined, undefined),
    {
      ...ctx,
      partialText: "ab",
    },
  );
  assert.equal(midStream.kind, "server");
  assert.equal(midStream.partialText, "ab");
});

Deno.test("groq wire helpers: durations, rate limits, model choice, redaction", () => {
  assert.equal(parseGoDuration("2m59.56s"), 179.56);
  assert.equal(parseGoDuration("7.66s"), 7.66);
  assert.equal(parseGoDuration("120ms"), 0.12);
  assert.equal(parseGoDuration("1h2m"), 3720);
  assert.ok(Number.isNaN(parseGoDuration("pronto")));
  assert.equal(formatGoDuration(179.56), "2m59.56s");
  assert.equal(parseGoDuration(formatGoDuration(3725.5)), 3725.5);
  assert.equal(parseRateLimits(new Headers()), null);
  assert.deepEqual(parseRateLimits(new Headers({ "retry-after": "3" })), { retryAfterS: 3 });
  const m = (id: string, created: number) => ({
    id,
    created,
    object: "model" as const,
    owned_by: "x",
  });
  assert.equal(
    chooseModel([
      m("openai/gpt-oss-20b", 9),
      m("whisper-large-v3", 10),
      m("meta-llama/llama-4-scout", 5),
    ]),
    "meta-llama/llama-4-scout",
  );
  assert.equal(
    chooseModel([m("qwen/qwen3-32b", 1), m("openai/gpt-oss-20b", 2)]),
    "openai/gpt-oss-20b",
  );
  assert.equal(chooseModel([m("whisper-large-v3", 1)]), null);
  assert.equal(
    chooseModel([{ ...m("llama-x", 1), active: false }, m("qwen/qwen3-32b", 1)]),
    "qwen/qwen3-32b",
  );
  assert.equal(
    redact(`k=${FAKE_GROQ_KEY}.`, []),
    `k=gsk_•••• (${FAKE_GROQ_KEY.length} caracteres).`,
  );
  assert.equal(redact("abc secreto123 def", ["secreto123"]), "abc •••• (10 caracteres) def");
});
