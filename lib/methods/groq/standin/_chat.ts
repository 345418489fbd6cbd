/**
 * Internal: the offline Groq server's POST /openai/v1/chat/completions — checks the request as
 * Groq does, applies the limits and the imitated failure, and generates with the server's
 * backend one request at a time, answering JSON or an SSE stream with `x_groq.usage`.
 *
 * @module
 */
import type { Backend, ChatMessage, GenerateResult } from "../../../core/types.ts";
import { type GroqUsage, OFFLINE_HEADER } from "../wire.ts";
import { checkChat } from "./check.ts";
import { failureResponse, type GroqFailure, pause } from "./_failures.ts";
import type { RateLimiter } from "./_limits.ts";
import {
  badRequest,
  brokenBody,
  decommissioned,
  json,
  modelNotFound,
  randomId,
  sseResponse,
  sseWriter,
  SYSTEM_FINGERPRINT,
} from "./_replies.ts";

/** What the chat handler needs from its server. */
export interface ChatContext {
  /** Generates the answers. */
  backend: Backend;
  /** The one model id served. */
  modelId: string;
  /** Ids answered with 400 model_decommissioned. */
  retired: ReadonlySet<string>;
  /** Upper bound on max_completion_tokens. */
  maxTokensCap: number;
  /** Time limit for one generation, in ms. */
  generationTimeoutMs: number;
  /** The server's rate limits. */
  limits: RateLimiter;
  /** Waits for the server's one generation slot; call the result to free it. */
  lock: () => Promise<() => void>;
  /** Aborted when the server closes. */
  stopAll: AbortSignal;
}

/** A one-at-a-time lock: generation on the local model is not re-entrant. */
export function makeLock(): () => Promise<() => void> {
  let tail = Promise.resolve();
  return async function acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const before = tail;
    tail = tail.then(() => mine);
    await before;
    return release;
  };
}

/** The chat messages of a request body (system/developer, user, assistant), or null. */
function messagesOf(raw: unknown): ChatMessage[] | null {
  if (!Array.isArray(raw) || raw.length === 0) return null;
  const out: ChatMessage[] = [];
  for (const m of raw) {
    if (!m || typeof m !== "object") return null;
    const { role, content } = m as { role?: unknown; content?: unknown };
    const text = typeof content === "string"
      ? content
      : Array.isArray(content)
      ? content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join(
        "",
      )
      : "";
    if (role === "system" || role === "developer") out.push({ role: "system", content: text });
    else if (role === "user" || role === "assistant") out.push({ role, content: text });
  }
  return out.length ? out : null;
}

/**
 * Answers one chat completion request (`payload` is its parsed body, null when it was not
 * JSON), imitating `failure` when it is a retired model, a slow answer or a disconnect.
 */
export async function chatCompletion(
  ctx: ChatContext,
  payload: Record<string, unknown> | null,
  failure: GroqFailure | undefined,
): Promise<Response> {
  if (!payload || typeof payload !== "object") {
    return badRequest("We could not parse the JSON body of your request.");
  }
  const wanted = typeof payload.model === "string" ? payload.model : "";
  if (!wanted) return badRequest("property 'model' is missing");
  if (ctx.retired.has(wanted) || failure?.kind === "retired") return decommissioned(wanted);
  if (wanted !== ctx.modelId) return modelNotFound(wanted);
  const messages = messagesOf(payload.messages);
  if (!messages) return badRequest("'messages' must be a non-empty array of messages");
  const checked = checkChat(ctx.backend, messages, payload, ctx.maxTokensCap);
  if (typeof checked === "string") return badRequest(checked);
  const { maxTokens, temperature } = checked;
  const hit = ctx.limits.exceeded();
  if (hit) {
    return failureResponse(
      { kind: "rate-limit", limit: hit.over, retryAfterS: hit.retryAfterS },
      ctx.modelId,
      ctx.limits,
    )!;
  }
  ctx.limits.countRequest();
  if (failure?.kind === "slow") await pause(failure.delayMs, ctx.stopAll);
  const id = randomId("chatcmpl-");
  const requestId = randomId("req_");
  const createdS = Math.floor(Date.now() / 1000);
  const arrivedAt = performance.now();
  // Aborted when the server stops or (streaming) when the client goes away.
  const cancelled = new AbortController();
  const signal = AbortSignal.any([ctx.stopAll, cancelled.signal]);
  const genOpts = { maxTokens, temperature, signal, timeoutMs: ctx.generationTimeoutMs };
  const headers = { ...ctx.limits.headers(), [OFFLINE_HEADER]: "1" };

  const usageOf = (r: GenerateResult, queueS: number): GroqUsage => {
    const promptS = (r.timings.ttftMs ?? r.timings.totalMs) / 1000;
    const completionS = Math.max(0, r.timings.totalMs / 1000 - promptS);
    ctx.limits.countTokens(r.tokensIn + r.tokensOut);
    return {
      queue_time: queueS,
      prompt_tokens: r.tokensIn,
      prompt_time: promptS,
      completion_tokens: r.tokensOut,
      completion_time: completionS,
      total_tokens: r.tokensIn + r.tokensOut,
      total_time: promptS + completionS,
    };
  };
  const finishOf = (r: GenerateResult) => (r.stopReason === "length" ? "length" : "stop");

  if (payload.stream !== true) {
    const release = await ctx.lock();
    try {
      const queueS = (performance.now() - arrivedAt) / 1000;
      const r = await ctx.backend.generate(messages, genOpts);
      if (failure?.kind === "disconnect") return brokenBody(headers);
      return json(200, {
        id,
        object: "chat.completion",
        created: createdS,
        model: ctx.modelId,
        choices: [{
          index: 0,
          message: { role: "assistant", content: r.text },
          logprobs: null,
          finish_reason: finishOf(r),
        }],
        usage: usageOf(r, queueS),
        system_fingerprint: SYSTEM_FINGERPRINT,
        x_groq: { id: requestId },
      }, headers);
    } finally {
      release();
    }
  }

  const sse = sseWriter(id, ctx.modelId, createdS);
  const cutAfter = failure?.kind === "disconnect" ? failure.afterChunks ?? 3 : Infinity;

  async function* events(): AsyncGenerator<Uint8Array> {
    const release = await ctx.lock();
    try {
      const queueS = (performance.now() - arrivedAt) / 1000;
      const gen = ctx.backend.stream(messages!, genOpts);
      yield sse.chunk({ role: "assistant", content: "" }, null, { id: requestId });
      let sent = 0;
      for await (const piece of gen) {
        if (sent >= cutAfter) throw new Error("simulated disconnect");
        yield sse.chunk({ content: piece }, null);
        sent += 1;
      }
      if (sent >= cutAfter) throw new Error("simulated disconnect");
      const r = await gen.result;
      yield sse.chunk({}, finishOf(r), { id: requestId, usage: usageOf(r, queueS) });
      yield sse.done();
    } finally {
      release();
    }
  }

  return sseResponse(events(), () => cancelled.abort(), headers);
}
