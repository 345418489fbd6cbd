/**
 * Items 13–16 of issue 19 against a server that answers like the real Groq (tests/groq_like.ts):
 * the model chosen by the documented production list (never a preview when a production model
 * is listed; GROQ_MODEL wins), reasoning read apart from the answer in its three wire forms,
 * max_completion_tokens sized so that the answer appears, the 413/422/498 messages, a listed
 * model's 404, and a local server that is not the kit's stand-in counted as online.
 */
import assert from "node:assert/strict";
import { KitError } from "../lib/core/mod.ts";
import { type GroqBackend, groqBackend, REASONING_ALLOWANCE } from "../lib/methods/groq/backend.ts";
import { compareTimings } from "../lib/methods/groq/timings.ts";
import { ANSWER, type GroqLike, LISTED, REASONING, startGroqLike } from "./groq_like.ts";
import { withEnv } from "./groq_helpers.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";

/**
 * Runs `fn` with its own Groq-like server and a way to open the backend on it, so that each test
 * passes alone and in any order.
 */
async function withLike(
  fn: (like: GroqLike, open: (model?: string) => Promise<GroqBackend>) => Promise<void>,
): Promise<void> {
  const like = startGroqLike();
  const open = (model?: string) =>
    groqBackend({ apiKey: FAKE_GROQ_KEY, baseURL: like.url, model, notify: () => {} });
  try {
    await fn(like, open);
  } finally {
    await like.close();
  }
}
const kitError = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof KitError) return e;
    throw e;
  }
  throw new Error("no error");
};

Deno.test("groq-like: a production model is chosen over newer previews, and the reason says so", async () => {
  await withLike(async (_like, open) => {
    await withEnv({ GROQ_MODEL: undefined }, async () => {
      const g = await open();
      assert.equal(g.model, "openai/gpt-oss-20b");
      assert.match(g.modelChoice, /lista de preferencia del kit \(modelos de producción/);
      assert.match(g.modelChoice, /console\.groq\.com\/docs\/models/);
      assert.equal(g.mode, "online", "a local server without the stand-in's header is not offline");
    });
    await withEnv({ GROQ_MODEL: "qwen/qwen3-32b" }, async () => {
      const g = await open();
      assert.equal(g.model, "qwen/qwen3-32b");
      assert.match(g.modelChoice, /de GROQ_MODEL/);
    });
    const previews = startGroqLike(LISTED.filter((m) => /llama-4|kimi/.test(m.id)));
    try {
      await withEnv({ GROQ_MODEL: undefined }, async () => {
        const g = await groqBackend({ apiKey: FAKE_GROQ_KEY, baseURL: previews.url });
        assert.match(g.modelChoice, /solo lista modelos «preview»/);
      });
    } finally {
      await previews.close();
    }
  });
});

Deno.test("groq-like: gpt-oss reasoning (delta.reasoning) counted and shown apart; the answer appears with maxTokens 60", async () => {
  await withLike(async (like, open) => {
    const g = await open("openai/gpt-oss-20b");
    const seen: string[] = [];
    const s = g.stream("¿Qué es un LPU?", { maxTokens: 60, onThinking: (t) => seen.push(t) });
    let shown = "";
    for await (const p of s) shown += p;
    const r = await s.result;
    const sent = like.requests.at(-1)!;
    assert.equal(sent.max_completion_tokens, 60 + REASONING_ALLOWANCE);
    assert.equal(sent.reasoning_effort, "low");
    assert.equal(r.text, ANSWER.join(""));
    assert.equal(shown, ANSWER.join(""));
    assert.equal(r.thinking, REASONING.join(""));
    assert.equal(seen.join(""), REASONING.join(""));
    assert.equal(r.thinkingTokens, REASONING.length);
    assert.equal(r.tokensOut, REASONING.length + ANSWER.length, "completion_tokens counts both");
    assert.equal(r.details?.reasoningTokens, REASONING.length);
    assert.ok(r.timings.ttftMs! <= r.timings.answerTtftMs!);
    const rows = compareTimings(r);
    assert.equal(rows.find((x) => /razonamiento/.test(x.medida))?.groq, REASONING.length);
    // Without the allowance 60 tokens would all go to reasoning: the oracle is the server's rule.
    const bare = await fetch(`${like.url}/openai/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${FAKE_GROQ_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "openai/gpt-oss-20b",
        messages: [],
        max_completion_tokens: 60,
      }),
    }).then((res) => res.json());
    assert.equal(bare.choices[0].message.content, "");
    assert.equal(bare.choices[0].finish_reason, "length");
  });
});

Deno.test("groq-like: reasoning that outlasts even the allowance: no answer, and the result says why", async () => {
  await withLike(async (_like, open) => {
    const long = Array.from({ length: REASONING_ALLOWANCE + 200 }, (_, i) => `p${i} `);
    const server = startGroqLike(LISTED, long);
    try {
      const g = await groqBackend({
        apiKey: FAKE_GROQ_KEY,
        baseURL: server.url,
        model: "openai/gpt-oss-20b",
        notify: () => {},
      });
      const whole = await g.generate("x", { maxTokens: 60 });
      const s = g.stream("x", { maxTokens: 60 });
      for await (const _ of s);
      for (const r of [whole, await s.result]) {
        assert.equal(r.text, "");
        assert.equal(r.stopReason, "length");
        assert.match(
          String(r.details?.answerMissing),
          /^Sin respuesta: «openai\/gpt-oss-20b» razonó/,
        );
      }
      const ok = await open("openai/gpt-oss-20b");
      assert.equal((await ok.generate("x", { maxTokens: 60 })).details?.answerMissing, undefined);
    } finally {
      await server.close();
    }
  });
});

Deno.test("groq-like: qwen3 reasoning as <think> text (raw) or `reasoning` (parsed), streamed and whole", async () => {
  await withLike(async (like, open) => {
    const g = await open("qwen/qwen3-32b");
    const parsed = await g.stream("x", { maxTokens: 20 }).result;
    assert.equal(like.requests.at(-1)!.reasoning_format, "parsed");
    assert.equal(parsed.thinking, REASONING.join(""));
    assert.equal(parsed.text, ANSWER.join(""));
    // A proxy or an old server that ignores reasoning_format answers raw: <think> in content.
    like.requests.length = 0;
    const raw = startGroqLike();
    const orig = raw.url;
    try {
      const g2 = await groqBackend({
        apiKey: FAKE_GROQ_KEY,
        baseURL: orig,
        model: "qwen/qwen3-32b",
      });
      const viaFetch = await fetch(`${orig}/openai/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${FAKE_GROQ_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "qwen/qwen3-32b", messages: [], stream: false }),
      }).then((res) => res.json());
      assert.match(viaFetch.choices[0].message.content, /^<think>paso0 /);
      const whole = await g2.generate("x", { maxTokens: 20 });
      assert.equal(whole.thinking, REASONING.join(""));
      assert.equal(whole.text, ANSWER.join(""));
    } finally {
      await raw.close();
    }
  });
});

Deno.test("groq-like: <think> text in content is split even when reasoning_format is ignored", async () => {
  const { partsReader } = await import("../lib/methods/groq/stream_parts.ts");
  const reader = partsReader();
  const deltas = ["<think>", "hm", "m</thi", "nk>\n\nSí", "."];
  const pieces = [...deltas.flatMap((c) => reader.push({ content: c })), ...reader.end()];
  const text = (k: string) =>
    pieces.filter((p) => (p.kind ?? "answer") === k).map((p) => p.text).join("");
  assert.equal(text("thinking"), "hmm");
  assert.equal(text("answer"), "Sí.");
  assert.equal(pieces.reduce((n, p) => n + (p.tokens ?? 1), 0), deltas.length);
});

Deno.test("groq-like: 413 (TPM), 422 and 498 get precise Spanish messages; a listed model's 404 is not offered back", async () => {
  await withLike(async (like, open) => {
    const g = await open("openai/gpt-oss-20b");
    like.fail.push({
      status: 413,
      error: {
        message:
          "Request too large for model `openai/gpt-oss-20b` in organization `org_x` service " +
          "tier `on_demand` on tokens per minute (TPM): Limit 8000, Requested 9100, please reduce " +
          "your message size and try again.",
        type: "tokens",
        code: "rate_limit_exceeded",
      },
    });
    const e413 = await kitError(g.generate("x"));
    assert.equal(e413.status, 413);
    assert.match(e413.message, /tu límite: 8000 tokens por minuto; la petición pide 9100/);
    assert.match(e413.message, /repetir no sirve/);
    like.fail.push({
      status: 422,
      error: {
        message: "reasoning_format is not supported with this model",
        type: "invalid_request_error",
      },
    });
    const e422 = await kitError(g.generate("x"));
    assert.equal(e422.kind, "bad-request");
    assert.match(e422.message, /\(422\)/);
    assert.match(e422.message, /reasoning_format is not supported/);
    like.fail.push(...Array.from({ length: 3 }, () => ({
      status: 498,
      error: { message: "Flex Tier Capacity Exceeded", type: "internal_server_error" },
    })));
    const e498 = await kitError(g.generate("x"));
    assert.match(e498.message, /El kit no pide ese nivel \(no envía service_tier\)/);
    assert.ok(!("service_tier" in like.requests.at(-1)!));
    like.fail.length = 0;
    like.fail.push({
      status: 404,
      error: {
        message: "The model `openai/gpt-oss-20b` does not exist or you do not have access to it.",
        type: "invalid_request_error",
        code: "model_not_found",
      },
    });
    const e404 = await kitError(g.generate("x"));
    assert.equal(e404.kind, "model-unavailable");
    assert.match(e404.message, /lista el modelo «openai\/gpt-oss-20b» pero respondió 404/);
    assert.ok(!e404.availableModels!.includes("openai/gpt-oss-20b"));
    assert.ok(e404.availableModels!.includes("openai/gpt-oss-120b"));
  });
});
