/**
 * Issue 18, items 14–16: every method refuses a bad request before sending anything
 * (empty prompt, maxTokens 0 / −5 / NaN / 2.5 / huge), refuses a prompt longer than the model's
 * context with a clear message (no onnxruntime buffer error, no 500s, no retries), and refuses
 * to generate after close() — all as KitError with a Spanish message.
 */
import assert from "node:assert/strict";
import { checkContext, KitError, MAX_TOKENS_LIMIT, validateRequest } from "../lib/core/mod.ts";
import type { Backend, GenerateOptions, PromptInput } from "../lib/core/types.ts";
import { createPipelineBackend } from "../lib/methods/pipeline/backend.ts";
import { createOptimizedBackend } from "../lib/methods/optimized/backend.ts";
import { localBackend } from "../lib/methods/optimized/local.ts";
import { ollamaBackend } from "../lib/methods/ollama/backend.ts";
import { groqBackend } from "../lib/methods/groq/backend.ts";
import { startGroqServer } from "../lib/methods/groq/standin/server.ts";
import { startTestServer } from "./ollama_helpers.ts";

const BAD: [string, PromptInput, GenerateOptions][] = [
  ["empty prompt", "", {}],
  ["blank prompt", "   \n", {}],
  ["no messages", [], {}],
  ["blank messages", [{ role: "user", content: " " }], {}],
  ["bad role", [{ role: "robot" as "user", content: "hola" }], {}],
  ["not a prompt", 42 as unknown as string, {}],
  ["maxTokens 0", "Hola", { maxTokens: 0 }],
  ["maxTokens -5", "Hola", { maxTokens: -5 }],
  ["maxTokens NaN", "Hola", { maxTokens: NaN }],
  ["maxTokens 2.5", "Hola", { maxTokens: 2.5 }],
  ["maxTokens Infinity", "Hola", { maxTokens: Infinity }],
  ["maxTokens huge", "Hola", { maxTokens: 1e12 }],
  ["maxTokens as text", "Hola", { maxTokens: "10" as unknown as number }],
  ["temperature -1", "Hola", { temperature: -1 }],
  ["temperature NaN", "Hola", { temperature: NaN }],
  ["timeoutMs 0", "Hola", { timeoutMs: 0 }],
];

/** Spanish: the messages name the field or the prompt, in the kit's words. */
const SPANISH = /prompt|conversación|mensaje|maxTokens debe|temperature debe|timeoutMs debe/;

Deno.test("validateRequest: every bad input is a Spanish bad-request KitError; good ones pass", () => {
  for (const [what, prompt, opts] of BAD) {
    assert.throws(() => validateRequest(prompt, opts, 3), (e: unknown) => {
      assert.ok(e instanceof KitError, what);
      assert.equal(e.kind, "bad-request", what);
      assert.equal(e.method, 3, what);
      assert.match(e.message, SPANISH, what);
      return true;
    }, what);
  }
  validateRequest("Hola", {});
  validateRequest([{ role: "system", content: "" }, { role: "user", content: "Hola" }], {
    maxTokens: MAX_TOKENS_LIMIT,
    temperature: 0.7,
  });
});

Deno.test("checkContext: prompt over the context, and prompt + maxTokens over it", () => {
  assert.throws(() => checkContext(3000, 10, 2048, 2), /3000 tokens.*2048/);
  assert.throws(() => checkContext(2000, 100, 2048, 2), /maxTokens ≤ 48/);
  checkContext(2000, 48, 2048, 2);
});

interface Opened {
  backend: Backend;
  /** Requests the method's server received so far (0 for in-process methods). */
  requests(): number;
  stop(): Promise<void>;
}

async function openAll(): Promise<Opened[]> {
  const pipeline = await createPipelineBackend({ model: "tiny" });
  const optimized = await createOptimizedBackend({ model: "tiny", dtype: "fp32" });
  const ollamaLog: string[] = [];
  const ollamaServer = await startTestServer(ollamaLog);
  const ollama = await ollamaBackend({ model: "tiny", host: ollamaServer.url });
  const groqServer = await startGroqServer({ backend: await localBackend(), port: 0 });
  const retries: string[] = [];
  const groq = await groqBackend({
    baseURL: groqServer.url,
    apiKey: "kit-offline-no-es-una-clave",
    model: groqServer.modelId,
    notify: (m) => retries.push(m),
  });
  const chatRequests = () =>
    groqServer.log.filter((e) => e.path.endsWith("/chat/completions")).length + retries.length;
  return [
    { backend: pipeline, requests: () => 0, stop: () => pipeline.close() },
    { backend: optimized, requests: () => 0, stop: () => optimized.close() },
    {
      backend: ollama,
      requests: () => ollamaLog.filter((l) => /\/api\/(generate|chat)/.test(l)).length,
      stop: async () => {
        await ollama.close();
        await ollamaServer.close();
      },
    },
    {
      backend: groq,
      requests: chatRequests,
      stop: async () => {
        await groq.close();
        await groqServer.close();
      },
    },
  ];
}

Deno.test("all four methods: bad requests, too-long prompts and closed backends are refused", async (t) => {
  const opened = await openAll();
  try {
    for (const { backend, requests } of opened) {
      await t.step(
        `method ${backend.method}: bad requests refused before any request`,
        async () => {
          for (const [what, prompt, opts] of BAD) {
            const before = requests();
            await assert.rejects(backend.generate(prompt, opts), (e: unknown) => {
              assert.ok(e instanceof KitError, `${what}: ${e}`);
              assert.equal(e.kind, "bad-request", what);
              assert.equal(e.method, backend.method, what);
              return true;
            });
            assert.throws(() => backend.stream(prompt, opts), KitError, what);
            assert.equal(requests(), before, `${what}: nothing was sent`);
          }
          const ok = await backend.generate("La memoria", { maxTokens: 3 });
          assert.ok(ok.tokensOut >= 1 && ok.tokensOut <= 3);
        },
      );
      await t.step(`method ${backend.method}: a 100 000-character prompt`, async () => {
        const before = requests();
        const long = "La cuantización reduce la memoria del modelo. ".repeat(2200).slice(
          0,
          100_000,
        );
        for (const prompt of [long, [{ role: "user" as const, content: long }]]) {
          await assert.rejects(backend.generate(prompt, { maxTokens: 4 }), (e: unknown) => {
            assert.ok(e instanceof KitError, String(e));
            assert.equal(e.kind, "bad-request", e.message);
            assert.match(e.message, /contexto del modelo es de (2048|512)/);
            assert.doesNotMatch(e.message, /buffer|Error:|at /);
            return true;
          });
        }
        // Methods 3–4 cannot count tokens: their server answers 400 once each, not retried.
        assert.equal(requests() - before, backend.method >= 3 ? 2 : 0);
      });
    }
    for (const { backend, stop } of opened) {
      await t.step(`method ${backend.method}: generate after close()`, async () => {
        await stop();
        await backend.close(); // twice is fine
        await assert.rejects(backend.generate("Hola", { maxTokens: 2 }), (e: unknown) => {
          assert.ok(e instanceof KitError);
          assert.equal(e.kind, "closed");
          assert.match(e.message, /ya está cerrado.*Crea otro/);
          return true;
        });
        assert.throws(() => backend.stream("Hola"), /ya está cerrado/);
      });
    }
  } finally {
    for (const { stop } of opened) await stop().catch(() => {});
  }
});
