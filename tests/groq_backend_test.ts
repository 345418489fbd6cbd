/**
 * Method 4's backend against the offline Groq-protocol server generating with the kit's local
 * model: the model chosen from the list, streaming = non-streaming = the model's own text, usage
 * and Groq's timings consistent with the client's, maxTokens and abort honoured; the wire
 * helpers (Go durations, rate-limit headers, model choice, redaction).
 */
import assert from "node:assert/strict";
import { readThenAbort } from "./backend_contract.ts";
import { chooseModel, compareTimings, groqBackend, redact } from "../lib/methods/groq/backend.ts";
import { formatGoDuration, parseGoDuration, parseRateLimits } from "../lib/methods/groq/wire.ts";
import { localBackend } from "../lib/methods/optimized/local.ts";
import { kitError, PROMPT, withEnv, withServer } from "./groq_helpers.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";

Deno.test("groq: offline server → mode offline, the one model chosen from the list", async () => {
  await withServer((server, groq) => {
    assert.equal(groq.mode, "offline");
    assert.equal(groq.method, 4);
    assert.equal(groq.model, server.modelId);
    assert.match(groq.modelChoice, /de los 1 modelos de chat listados/);
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
    const pieces = await readThenAbort(s, 3);
    const r = await s.result;
    assert.equal(r.stopReason, "abort");
    assert.equal(r.text, pieces.join(""));
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
  // A production model (Groq's docs) wins over a newer Llama that is a preview.
  assert.equal(
    chooseModel([
      m("openai/gpt-oss-20b", 9),
      m("whisper-large-v3", 10),
      m("meta-llama/llama-4-scout", 5),
    ]),
    "openai/gpt-oss-20b",
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
