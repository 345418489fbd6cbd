/** lib/offline/groq_server: Groq's wire format, spoken by the kit's local stand-in. */
import assert from "node:assert/strict";
import { startGroqServer } from "../lib/methods/groq/standin/server.ts";
import { localBackend } from "../lib/methods/optimized/local.ts";
import { parseRateLimits } from "../lib/methods/groq/wire.ts";
import { scriptedBackend } from "./groq_helpers.ts";

const AUTH = { authorization: "Bearer kit-offline-no-es-una-clave" };

async function post(url: string, body: unknown, headers: Record<string, string> = AUTH) {
  return await fetch(`${url}/openai/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Splits an SSE body into its `data:` payloads. */
function sseData(text: string): string[] {
  return text.split("\n\n").filter((e) => e.trim()).map((e) => {
    assert.match(e, /^data: /, `not an SSE data event: ${e}`);
    return e.slice("data: ".length);
  });
}

Deno.test("groq server: models list is Groq-shaped and visibly offline", async () => {
  const server = await startGroqServer({ backend: scriptedBackend() });
  try {
    const res = await fetch(`${server.url}/openai/v1/models`, { headers: AUTH });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-kit-offline"), "1");
    const body = await res.json();
    assert.equal(body.object, "list");
    assert.deepEqual(body.data.map((m: { id: string }) => m.id), ["kit-offline-kit-es"]);
    assert.equal(body.data[0].owned_by, "kit-offline");
    assert.equal(body.data[0].object, "model");
    const one = await fetch(`${server.url}/openai/v1/models/kit-offline-kit-es`, { headers: AUTH });
    assert.equal((await one.json()).id, "kit-offline-kit-es");
    const none = await fetch(`${server.url}/openai/v1/models/otro`, { headers: AUTH });
    assert.equal(none.status, 404);
    assert.equal((await none.json()).error.code, "model_not_found");
  } finally {
    await server.close();
  }
});

Deno.test("groq server: no bearer key → 401 invalid_api_key; unknown path → 404", async () => {
  const server = await startGroqServer({ backend: scriptedBackend() });
  try {
    const res = await post(server.url, { model: "kit-offline-kit-es", messages: [] }, {});
    assert.equal(res.status, 401);
    assert.deepEqual((await res.json()).error, {
      message: "Invalid API Key",
      type: "invalid_request_error",
      code: "invalid_api_key",
    });
    const other = await fetch(`${server.url}/v1/otra`, { headers: AUTH });
    assert.equal(other.status, 404);
    await other.body?.cancel();
    assert.ok(server.log.every((e) => !JSON.stringify(e).includes("Bearer")));
  } finally {
    await server.close();
  }
});

Deno.test("groq server: model errors as Groq sends them (404 not found, 400 decommissioned)", async () => {
  const server = await startGroqServer({ backend: scriptedBackend() });
  try {
    const messages = [{ role: "user", content: "Hola" }];
    const missing = await post(server.url, { model: "no-existe", messages });
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "model_not_found");
    const retired = await post(server.url, { model: "llama-3.3-70b-versatile", messages });
    assert.equal(retired.status, 400);
    const err = (await retired.json()).error;
    assert.equal(err.code, "model_decommissioned");
    assert.match(err.message, /decommissioned/);
    const bad = await post(server.url, { model: "kit-offline-kit-es", messages: "x" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("groq server: JSON completion with usage and rate-limit headers", async () => {
  const server = await startGroqServer({ backend: scriptedBackend("uno dos tres") });
  try {
    const res = await post(server.url, {
      model: "kit-offline-kit-es",
      messages: [{ role: "system", content: "Sé breve." }, { role: "user", content: "Cuenta" }],
      max_completion_tokens: 10,
    });
    assert.equal(res.status, 200);
    const limits = parseRateLimits(res.headers)!;
    assert.equal(limits.limitRequests, 1000);
    assert.equal(limits.remainingRequests, 999);
    assert.equal(limits.limitTokens, 6000);
    assert.ok(limits.resetRequestsS! > 0);
    const body = await res.json();
    assert.equal(body.object, "chat.completion");
    assert.equal(body.model, "kit-offline-kit-es");
    assert.equal(body.choices[0].message.role, "assistant");
    assert.equal(body.choices[0].message.content, "uno dos tres");
    assert.equal(body.choices[0].finish_reason, "stop");
    const u = body.usage;
    assert.equal(u.completion_tokens, 3);
    assert.equal(u.prompt_tokens, 3); // "Sé breve." + "Cuenta", counted by the scripted backend
    assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
    assert.ok(Math.abs(u.total_time - (u.prompt_time + u.completion_time)) < 1e-9);
    assert.ok(u.queue_time >= 0);
    assert.match(body.x_groq.id, /^req_/);
  } finally {
    await server.close();
  }
});

Deno.test("groq server: SSE stream: role chunk, one chunk per token, usage in the final chunk, [DONE]", async () => {
  const server = await startGroqServer({ backend: scriptedBackend("a b c d") });
  try {
    const res = await post(server.url, {
      model: "kit-offline-kit-es",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    assert.equal(res.headers.get("x-kit-offline"), "1");
    const events = sseData(await res.text());
    assert.equal(events.at(-1), "[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
    assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "" });
    const pieces = chunks.slice(1, -1).map((c) => c.choices[0].delta.content);
    assert.deepEqual(pieces, ["a ", "b ", "c ", "d"]);
    const last = chunks.at(-1);
    assert.equal(last.choices[0].finish_reason, "stop");
    assert.equal(last.x_groq.usage.completion_tokens, 4);
    assert.equal(last.x_groq.id, chunks[0].x_groq.id);
    assert.ok(chunks.slice(0, -1).every((c) => !c.x_groq?.usage), "usage only in the last chunk");
  } finally {
    await server.close();
  }
});

Deno.test("groq server: simulated 429 carries retry-after, x-ratelimit-* and Groq's body", async () => {
  const server = await startGroqServer({
    backend: scriptedBackend(),
    simulate: [{ kind: "rate-limit", retryAfterS: 2 }],
  });
  try {
    const messages = [{ role: "user", content: "x" }];
    const res = await post(server.url, { model: "kit-offline-kit-es", messages });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "2");
    const limits = parseRateLimits(res.headers)!;
    assert.equal(limits.remainingTokens, 0);
    assert.equal(limits.retryAfterS, 2);
    const err = (await res.json()).error;
    assert.equal(err.code, "rate_limit_exceeded");
    assert.equal(err.type, "tokens");
    assert.match(err.message, /Please try again in 2s/);
    // Only once: the next request goes through.
    const ok = await post(server.url, { model: "kit-offline-kit-es", messages });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.deepEqual(server.log.map((e) => e.status), [429, 200]);
    assert.equal(server.log[0].simulated, "rate-limit");
  } finally {
    await server.close();
  }
});

Deno.test("groq server: enforces its own tokens-per-minute limit with a real 429", async () => {
  const server = await startGroqServer({
    backend: scriptedBackend("uno dos tres cuatro"),
    limits: { tokensPerMinute: 5 },
  });
  try {
    const body = { model: "kit-offline-kit-es", messages: [{ role: "user", content: "x y" }] };
    const first = await post(server.url, body);
    assert.equal(first.status, 200);
    await first.body?.cancel();
    const second = await post(server.url, body);
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get("retry-after")) >= 1);
    await second.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("groq server: 5xx and a disconnect mid-stream", async () => {
  const server = await startGroqServer({ backend: scriptedBackend("a b c d e f") });
  try {
    const body = { model: "kit-offline-kit-es", messages: [{ role: "user", content: "x" }] };
    server.simulate({ kind: "server-error", status: 503 });
    const res = await post(server.url, body);
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.type, "internal_server_error");

    server.simulate({ kind: "disconnect", afterChunks: 2 });
    const cut = await post(server.url, { ...body, stream: true });
    assert.equal(cut.status, 200);
    await assert.rejects(cut.text(), "the body must fail, not end cleanly");
  } finally {
    await server.close();
  }
});

Deno.test("groq server: with the forge's tiny model (localBackend), same text as the model itself", async () => {
  const backend = await localBackend();
  const server = await startGroqServer({ backend });
  try {
    const messages = [{ role: "user" as const, content: "La memoria" }];
    const direct = await backend.generate(messages, { maxTokens: 12 });
    const res = await post(server.url, {
      model: "kit-offline-kit-es",
      messages,
      max_completion_tokens: 12,
    });
    const body = await res.json();
    assert.equal(body.choices[0].message.content, direct.text);
    assert.equal(body.usage.prompt_tokens, direct.tokensIn);
    assert.equal(body.usage.completion_tokens, direct.tokensOut);
    assert.equal(body.choices[0].finish_reason, direct.stopReason === "length" ? "length" : "stop");
  } finally {
    await server.close();
  }
});
