/**
 * Method 4's key and error objects: a missing key says where to get one and where to put it,
 * the key appears in no output, log, error or object whatever fails, and groq-sdk's own error
 * objects (real Groq bodies) map to the kit's KitError.
 */
import assert from "node:assert/strict";
import { APIConnectionError, APIError, RateLimitError } from "groq-sdk";
import { findGroqKey, groqBackend } from "../lib/methods/groq/backend.ts";
import { toGroqError } from "../lib/methods/groq/errors.ts";
import { findSecrets } from "../lib/core/secrets.ts";
import { type GroqFailure, startGroqServer } from "../lib/methods/groq/standin/server.ts";
import { localBackend } from "../lib/methods/optimized/local.ts";
import { captureConsole, kitError, PROMPT, withEnv } from "./groq_helpers.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";

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
