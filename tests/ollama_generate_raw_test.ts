/**
 * /api/generate and the model's template, as Ollama's GenerateHandler does it (server/routes.go;
 * docs.ollama.com/api, "raw"): without `raw` the prompt is a user message (after `system`) put
 * through the model's chat template — the same text as /api/chat with those messages; with
 * `raw: true` the prompt is continued as is, and `system`, `template` or `context` next to it
 * are a 400. The kit's method-3 backend continues a string prompt as methods 1–2 do, so it
 * sends `raw: true` (seen here on the wire, through a recording proxy). Oracles: the corpus
 * bigram chain after the prompt's tokens (tests/_tiny_oracle.ts), with and without tiny's chat
 * template, and the token counts of tiny's own tokenizer.
 */
import assert from "node:assert/strict";
import { ollamaBackend } from "../lib/methods/ollama/backend.ts";
import { ndjsonLines, post, startTestServer } from "./ollama_helpers.ts";
import { chatContinuation, continuation, tokenizer } from "./_tiny_oracle.ts";
import type { ChatMessage } from "../lib/core/types.ts";

const server = await startTestServer();
const url = server.url;
const N = 12;
/** Prompts whose raw continuation differs from tiny's chat answer (both are bigram chains). */
const PROMPTS = ["Groq responde", "El token"];

/** Tokens tiny's tokenizer makes of a chat through its template (what prompt_eval_count counts). */
function chatTokens(messages: ChatMessage[]): number {
  const text = tokenizer.apply_chat_template(messages, {
    tokenize: false,
    add_generation_prompt: true,
  }) as unknown as string;
  return tokenizer.encode(text, { add_special_tokens: false }).length;
}

async function generate(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await post(`${url}/api/generate`, {
    model: "tiny",
    stream: false,
    options: { num_predict: N, temperature: 0 },
    ...body,
  });
  assert.equal(res.status, 200);
  return await res.json();
}

async function chat(messages: ChatMessage[]): Promise<Record<string, unknown>> {
  const res = await post(`${url}/api/chat`, {
    model: "tiny",
    messages,
    stream: false,
    options: { num_predict: N, temperature: 0 },
  });
  assert.equal(res.status, 200);
  return await res.json();
}

Deno.test("without raw, /api/generate answers as /api/chat with one user message (the template applied), not the raw continuation", async () => {
  for (const prompt of PROMPTS) {
    const gen = await generate({ prompt });
    const asChat = await chat([{ role: "user", content: prompt }]);
    const expected = chatContinuation(prompt, N);
    assert.equal(gen.response, expected);
    assert.equal((asChat.message as { content: string }).content, expected);
    assert.notEqual(gen.response, continuation(prompt, N), "not a raw continuation");
    assert.equal(gen.prompt_eval_count, chatTokens([{ role: "user", content: prompt }]));
    assert.equal(gen.prompt_eval_count, asChat.prompt_eval_count);
    assert.equal(gen.eval_count, N);
  }
  // Streamed, the same: the chunks joined are the templated answer.
  const lines = await ndjsonLines(
    await post(`${url}/api/generate`, {
      model: "tiny",
      prompt: "La memoria",
      options: { num_predict: N },
    }),
  );
  assert.equal(lines.map((l) => l.response).join(""), chatContinuation("La memoria", N));
});

Deno.test("without raw, `system` is the system message before the prompt, as /api/chat with both", async () => {
  const messages: ChatMessage[] = [
    { role: "system", content: "Responde en una frase." },
    { role: "user", content: "La memoria" },
  ];
  const gen = await generate({ prompt: "La memoria", system: messages[0].content });
  const asChat = await chat(messages);
  assert.equal(gen.prompt_eval_count, chatTokens(messages));
  assert.ok((gen.prompt_eval_count as number) > chatTokens([messages[1]]), "the system counts");
  assert.equal(gen.response, (asChat.message as { content: string }).content);
});

Deno.test("raw: true continues the prompt as is; with system, template or context it is Ollama's 400", async () => {
  for (const prompt of PROMPTS) {
    const gen = await generate({ prompt, raw: true });
    assert.equal(gen.response, continuation(prompt, N));
    assert.equal(gen.prompt_eval_count, tokenizer.encode(prompt).length);
  }
  const conflicts = [{ system: "Sé breve." }, { template: "{{ .Prompt }}" }, { context: [1, 2] }];
  for (const extra of conflicts) {
    for (const stream of [true, false]) {
      const res = await post(`${url}/api/generate`, {
        model: "tiny",
        prompt: "La memoria",
        raw: true,
        stream,
        ...extra,
      });
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.deepEqual(await res.json(), {
        error: "raw mode does not support template, system, or context",
      });
    }
  }
  // Not a boolean: Go's JSON binding refuses it.
  const bad = await post(`${url}/api/generate`, { model: "tiny", prompt: "x", raw: "yes" });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /cannot unmarshal string into .*\.raw of type bool/);
  // An unload request is answered before raw mode's checks, as Ollama orders them.
  const unload = await post(`${url}/api/generate`, {
    model: "tiny",
    raw: true,
    system: "x",
    keep_alive: 0,
  });
  assert.equal(unload.status, 200);
  assert.equal((await unload.json()).done_reason, "unload");
});

Deno.test("the kit's backend sends raw: true for a string prompt (a continuation, as methods 1–2), chat messages to /api/chat", async () => {
  const seen: { path: string; body: Record<string, unknown> }[] = [];
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const text = req.method === "POST" ? await req.text() : undefined;
    if (text) seen.push({ path, body: JSON.parse(text) });
    const res = await fetch(url + path, { method: req.method, headers: req.headers, body: text });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
  try {
    const backend = await ollamaBackend({
      model: "tiny",
      host: `http://127.0.0.1:${proxy.addr.port}`,
    });
    const r = await backend.generate("Groq responde", { maxTokens: N });
    assert.equal(r.text, continuation("Groq responde", N));
    const c = await backend.generate([{ role: "user", content: "Groq responde" }], {
      maxTokens: N,
    });
    assert.equal(c.text, chatContinuation("Groq responde", N));
    await backend.close();
    const gen = seen.filter((s) => s.path === "/api/generate");
    assert.equal(gen.length, 1);
    assert.equal(gen[0].body.raw, true);
    assert.equal(gen[0].body.prompt, "Groq responde");
    assert.equal(gen[0].body.system, undefined);
    const chats = seen.filter((s) => s.path === "/api/chat");
    assert.equal(chats.length, 1);
    assert.equal(chats[0].body.raw, undefined);
  } finally {
    await proxy.shutdown();
  }
});

Deno.test({
  name: "close the server (last)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => server.close(),
});
