/**
 * A local server that answers like the real Groq API of late 2026 (console.groq.com/docs/
 * api-reference, /docs/reasoning, /docs/errors), for tests of the online path: no
 * `x-kit-offline` header (it is not the kit's stand-in), GET /openai/v1/models with Groq's
 * fields, POST /openai/v1/chat/completions streamed as SSE or whole, `x_groq.usage` in seconds,
 * and reasoning models: `openai/gpt-oss-*` send `delta.reasoning` (include_reasoning default),
 * `qwen/qwen3-32b` follows reasoning_format ("raw": `<think>` in content, the default; "parsed":
 * `reasoning`; "hidden": none). max_completion_tokens bounds reasoning + answer, as on Groq.
 * `fail` queues error answers (status and Groq's error body) for the next requests.
 */
import type { GroqModelEntry } from "../lib/methods/groq/wire.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";

/** The reasoning a reasoning model writes (one token a word) before its answer. */
export const REASONING = Array.from({ length: 80 }, (_, i) => `paso${i} `);
/** The answer every model gives (one token a word). */
export const ANSWER = ["Un ", "LPU ", "es ", "un ", "procesador ", "de ", "Groq."];

/** Models as Groq lists them (production and preview mixed, newest preview first). */
export const LISTED: GroqModelEntry[] = [
  ["meta-llama/llama-4-maverick-17b-128e-instruct", 1743877158, "Meta"],
  ["moonshotai/kimi-k2-instruct-0905", 1757046093, "Moonshot AI"],
  ["openai/gpt-oss-120b", 1754408224, "OpenAI"],
  ["openai/gpt-oss-20b", 1754407957, "OpenAI"],
  ["qwen/qwen3-32b", 1748396646, "Alibaba Cloud"],
  ["whisper-large-v3", 1693721698, "OpenAI"],
].map(([id, created, owned_by]) => ({
  id: id as string,
  object: "model" as const,
  created: created as number,
  owned_by: owned_by as string,
  active: true,
  context_window: 131072,
  max_completion_tokens: 65536,
}));

/** A queued failure: the status and Groq's error body. */
export interface LikeFailure {
  status: number;
  error: { message: string; type: string; code?: string };
}

/** The running server, the request bodies it received, and its failure queue. */
export interface GroqLike {
  url: string;
  requests: Record<string, unknown>[];
  fail: LikeFailure[];
  close(): Promise<void>;
}

/** Starts the server on a free port with `models` listed. */
export function startGroqLike(
  models: GroqModelEntry[] = LISTED,
  /** The reasoning tokens a reasoning model writes (default {@link REASONING}). */
  reasoning: string[] = REASONING,
): GroqLike {
  const requests: Record<string, unknown>[] = [];
  const fail: LikeFailure[] = [];
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", "x-request-id": "req_like" },
    });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (req.headers.get("authorization") !== `Bearer ${FAKE_GROQ_KEY}`) {
      return json(401, {
        error: {
          message: "Invalid API Key",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      });
    }
    if (path === "/openai/v1/models") return json(200, { object: "list", data: models });
    if (path !== "/openai/v1/chat/completions") {
      return json(404, {
        error: { message: "Unknown request URL", type: "invalid_request_error" },
      });
    }
    const body = await req.json();
    requests.push(body);
    const f = fail.shift();
    if (f) return json(f.status, { error: f.error });
    const model = String(body.model);
    if (!models.some((m) => m.id === model)) {
      return json(404, {
        error: {
          message: `The model \`${model}\` does not exist or you do not have access to it.`,
          type: "invalid_request_error",
          code: "model_not_found",
        },
      });
    }
    const max = Number(body.max_completion_tokens ?? body.max_tokens ?? 1024);
    const reasons = /gpt-oss|qwen3/.test(model);
    const format = /gpt-oss/.test(model)
      ? (body.include_reasoning === false ? "hidden" : "parsed")
      : (body.reasoning_format ?? "raw");
    // Tokens in order: reasoning first, then the answer; cut at max_completion_tokens.
    const tokens: { kind: "reasoning" | "answer"; text: string }[] = [
      ...(reasons ? reasoning.map((text) => ({ kind: "reasoning" as const, text })) : []),
      ...ANSWER.map((text) => ({ kind: "answer" as const, text })),
    ];
    const used = tokens.slice(0, max);
    const finish = used.length < tokens.length ? "length" : "stop";
    const reasoningTokens = used.filter((t) => t.kind === "reasoning").length;
    const usage = {
      queue_time: 0.02,
      prompt_tokens: 12,
      prompt_time: 0.003,
      completion_tokens: used.length,
      completion_time: used.length / 1000,
      total_tokens: 12 + used.length,
      total_time: 0.003 + used.length / 1000,
      ...(reasons ? { completion_tokens_details: { reasoning_tokens: reasoningTokens } } : {}),
    };
    // What each token becomes on the wire for this reasoning format.
    const deltas: Record<string, string>[] = [];
    used.forEach((t, i) => {
      if (t.kind === "answer") {
        const closes = format === "raw" && reasoningTokens > 0 && i === reasoningTokens;
        deltas.push({ content: (closes ? "</think>\n\n" : "") + t.text });
      } else if (format === "parsed") deltas.push({ reasoning: t.text });
      else if (format === "raw") deltas.push({ content: (i === 0 ? "<think>" : "") + t.text });
      else deltas.push({});
    });
    const id = "chatcmpl-like";
    const created = Math.floor(Date.now() / 1000);
    if (body.stream !== true) {
      const join = (k: string) => deltas.map((d) => d[k] ?? "").join("");
      const message: Record<string, string> = { role: "assistant", content: join("content") };
      if (join("reasoning")) message.reasoning = join("reasoning");
      return json(200, {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
        usage,
        x_groq: { id: "req_like", usage },
      });
    }
    const enc = new TextEncoder();
    const sse = (o: unknown) => enc.encode(`data: ${JSON.stringify(o)}\n\n`);
    const chunk = (delta: object, finish_reason: string | null, extra = {}) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason }],
      ...extra,
    });
    const stream = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(
          sse(chunk({ role: "assistant", content: "" }, null, { x_groq: { id: "req_like" } })),
        );
        for (const d of deltas) {
          await new Promise((r) => setTimeout(r, 1));
          c.enqueue(sse(chunk(d, null)));
        }
        c.enqueue(sse(chunk({}, finish, { x_groq: { id: "req_like", usage } })));
        c.enqueue(enc.encode("data: [DONE]\n\n"));
        c.close();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    fail,
    close: () => server.shutdown(),
  };
}
