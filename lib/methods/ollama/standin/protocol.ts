/**
 * How the stand-in words what Ollama's API documents (docs.ollama.com/api): the final chunk's
 * statistics (fields with a zero value left out, as Ollama's `omitempty` does), the prompt of a
 * generate or chat request, the errors a student can meet (`model 'x' not found`,
 * `"x" does not support thinking`), thinking apart from the answer, and `format: "json"`.
 *
 * @module
 */
import type { ChatMessage, GenerateResult, PromptInput } from "../../../core/types.ts";
import type { WireStats } from "../wire.ts";
import { type ThinkPart, thinkSplitter } from "../../../core/think_tags.ts";
import { HttpError, json } from "./_http.ts";

const ms2ns = (ms: number) => Math.max(0, Math.round(ms * 1e6));
const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;

/**
 * Parses Ollama's keep_alive: a number of seconds, or a Go duration ("5m", "30s", "1h"); a
 * negative value keeps the model loaded; 0 unloads it at once. Returns ms (Infinity = forever).
 *
 * @example
 * ```ts
 * keepAliveMs("5m"); // 300000
 * ```
 */
export function keepAliveMs(value: unknown): number {
  if (value === undefined || value === null || value === "") return DEFAULT_KEEP_ALIVE_MS;
  if (typeof value === "number") return value < 0 ? Infinity : value * 1000;
  const m = /^(-?\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(value).trim());
  if (!m) throw new HttpError(400, `time: invalid duration "${value}"`);
  const n = Number(m[1]);
  if (n < 0) return Infinity;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  return n * unit;
}

/**
 * Ollama's statistics for a finished generation, in nanoseconds, from a backend's result. A
 * zero is left out, as Ollama's `omitempty` leaves it out (e.g. prompt_eval_count for a prompt
 * it had cached). `loadMs` runs from the request's start to the model being ready, as Ollama's
 * load_duration does: a few µs, never 0, once the model is loaded.
 */
export function statsOf(r: GenerateResult, loadMs: number, totalMs: number): WireStats {
  const t = r.serviceTimings ?? {};
  const all: WireStats = {
    done_reason: r.stopReason === "length" ? "length" : "stop",
    total_duration: ms2ns(totalMs),
    load_duration: ms2ns(loadMs),
    prompt_eval_count: r.tokensIn,
    // Prefill: the engine's own figure (llama.cpp's), else the backend's TTFT.
    prompt_eval_duration: ms2ns(t.promptEvalMs ?? r.timings.ttftMs ?? r.timings.totalMs),
    eval_count: r.tokensOut,
    // Decode: likewise, else from the first token to the last.
    eval_duration: ms2ns(t.evalMs ?? r.timings.decodeMs),
  };
  return Object.fromEntries(
    Object.entries(all).filter(([, v]) => v !== 0 && v !== undefined),
  ) as WireStats;
}

/**
 * The prompt of a /api/generate or /api/chat body; null when empty (a load/unload request).
 *
 * /api/generate does what Ollama's GenerateHandler does: unless the body says `raw: true`, the
 * prompt is a user message (after `system` as the system message, when given) and goes through
 * the model's chat template, exactly as /api/chat with those messages; with `raw: true` the
 * prompt goes to the model as is, to be continued. (`template` and `context` of a non-raw body
 * are not applied by the stand-in: its models have one template each, their tokenizer's.)
 * Raw mode combined with `template`, `system` or `context` is Ollama's 400, see
 * {@link rawConflict}.
 */
export function promptOf(
  kind: "generate" | "chat",
  body: Record<string, unknown>,
): PromptInput | null {
  if (kind === "generate") {
    const prompt = body.prompt ?? "";
    if (typeof prompt !== "string") throw new HttpError(400, "prompt must be a string");
    if (!prompt) return null;
    if (isRaw(body)) return prompt;
    const system = typeof body.system === "string" && body.system
      ? [{ role: "system" as const, content: body.system }]
      : [];
    return [...system, { role: "user", content: prompt }];
  }
  const messages = body.messages ?? [];
  if (!Array.isArray(messages)) throw new HttpError(400, "messages must be an array");
  if (messages.length === 0) return null;
  return messages.map((m, i): ChatMessage => {
    const role = m?.role;
    if (!["system", "user", "assistant"].includes(role) || typeof m?.content !== "string") {
      throw new HttpError(400, `invalid message ${i}: role must be system, user or assistant`);
    }
    return { role, content: m.content };
  });
}

/** Whether a /api/generate body asks for raw mode; `raw` that is not a boolean is Go's 400. */
function isRaw(body: Record<string, unknown>): boolean {
  const raw = body.raw ?? false;
  if (typeof raw !== "boolean") {
    throw new HttpError(
      400,
      `json: cannot unmarshal ${typeof raw} into Go struct field GenerateRequest.raw of type bool`,
    );
  }
  return raw;
}

/**
 * Ollama's 400 for a /api/generate body with `raw: true` and a `template`, `system` or
 * `context` (raw mode has no template to put them in): "raw mode does not support template,
 * system, or context". Ollama checks it after an unload request and before `think`.
 */
export function rawConflict(body: Record<string, unknown>): void {
  if (!isRaw(body)) return;
  const context = Array.isArray(body.context) ? body.context.length > 0 : !!body.context;
  if (body.template || body.system || context) {
    throw new HttpError(400, "raw mode does not support template, system, or context");
  }
}

/** Ollama's 404 for a model it does not have (generate, chat, show). */
export function modelNotFound(name: string): HttpError {
  return new HttpError(404, `model '${name}' not found`);
}

/**
 * Whether this request thinks, as Ollama decides: `think` absent or null → the model's default
 * (it thinks when it can); `false` → no; `true` or a level on a model without the "thinking"
 * capability → 400 `"name" does not support thinking`.
 */
export function thinkingWanted(think: unknown, name: string, capabilities: string[]): boolean {
  const can = capabilities.includes("thinking");
  if (think === undefined || think === null) return can;
  if (think === false || think === "false") return false;
  if (!can) throw new HttpError(400, `"${name}" does not support thinking`);
  return true;
}

/** Ollama's `format`: "json" or a JSON schema object ask for JSON output; anything else is a 400. */
export function jsonFormat(format: unknown): boolean {
  if (format === undefined || format === null || format === "") return false;
  if (format === "json" || (typeof format === "object" && !Array.isArray(format))) return true;
  throw new HttpError(400, `invalid format: ${JSON.stringify(format)}`);
}

/**
 * Output as JSON for `format: "json"`. A real Ollama constrains the model's sampling to JSON;
 * the kit's small model cannot, so the stand-in wraps its text: `{"respuesta": "<text>"}`,
 * streamed piece by piece, always valid JSON once whole.
 */
export function jsonWrapper(): { open: string; piece(text: string): string; close: string } {
  return {
    open: '{"respuesta": "',
    piece: (text: string) => JSON.stringify(text).slice(1, -1),
    close: '"}',
  };
}

/**
 * Endpoints a real Ollama has that the stand-in does not implement: they answer a JSON 404 that
 * says so (Ollama's error shape), so a student sees why, not a bare "404 page not found".
 */
export const NOT_IMPLEMENTED: readonly string[] = [
  "/api/embed",
  "/api/embeddings",
  "/api/create",
  "/api/copy",
  "/api/delete",
  "/api/push",
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/models",
  "/v1/embeddings",
  "/v1/responses",
  "/v1/messages",
];

/**
 * The 404 for a {@link NOT_IMPLEMENTED} endpoint, in the error shape of the API it belongs to,
 * as Ollama's middlewares write it: Ollama's `{"error": "…"}` for /api/*, OpenAI's
 * `{"error": {"message", "type": "not_found_error", "param": null, "code": null}}` for /v1/*
 * (openai.NewError), Anthropic's `{"type": "error", "error": {"type", "message"}}` for
 * /v1/messages, so a client of that API parses the message.
 */
export function notImplemented(path: string): Response {
  const message = `${path} is not implemented by the kit's offline stand-in of Ollama ` +
    `(a real Ollama answers it)`;
  const body = path === "/v1/messages"
    ? { type: "error", error: { type: "not_found_error", message } }
    : path.startsWith("/v1/")
    ? { error: { message, type: "not_found_error", param: null, code: null } }
    : { error: message };
  return json(404, body);
}

/** The context window /api/ps reports: the model's num_ctx, else Ollama's default, 4096. */
export function contextLength(parameters: Record<string, string | number> | undefined): number {
  const n = Number(parameters?.num_ctx);
  return Number.isFinite(n) && n > 0 ? n : 4096;
}

/** One chunk's text: answer (`content` / `response`) and thinking. */
export interface ShapedChunk {
  content: string;
  thinking: string;
}

/**
 * Turns a backend's text pieces into what Ollama streams: a thinking model's `<think>…</think>`
 * apart, as `thinking` (dropped when the request said `think: false`), and with
 * `format: "json"` the answer wrapped by {@link jsonWrapper}.
 */
export function outputShaper(
  o: { thinkingModel: boolean; thinks: boolean; asJson: boolean },
): { push(piece: string): ShapedChunk[]; end(): ShapedChunk[] } {
  const split = o.thinkingModel ? thinkSplitter() : null;
  const wrap = o.asJson ? jsonWrapper() : null;
  let opened = false;
  const shape = (parts: ThinkPart[]): ShapedChunk[] => {
    const out: ShapedChunk[] = [];
    for (const p of parts) {
      if (p.kind === "thinking") {
        if (o.thinks) out.push({ content: "", thinking: p.text });
      } else if (wrap) {
        out.push({ content: (opened ? "" : wrap.open) + wrap.piece(p.text), thinking: "" });
        opened = true;
      } else out.push({ content: p.text, thinking: "" });
    }
    return out;
  };
  return {
    push: (piece) => shape(split ? split.push(piece) : [{ kind: "answer", text: piece }]),
    end() {
      const out = split ? shape(split.end()) : [];
      if (wrap) out.push({ content: (opened ? "" : wrap.open) + wrap.close, thinking: "" });
      return out;
    },
  };
}

/** The endpoints the stand-in answers, with their methods. */
export const ROUTES: Readonly<Record<string, string[]>> = {
  "/": ["GET", "HEAD"],
  "/api/version": ["GET", "HEAD"],
  "/api/tags": ["GET", "HEAD"],
  "/api/ps": ["GET"],
  "/api/show": ["POST"],
  "/api/pull": ["POST"],
  "/api/generate": ["POST"],
  "/api/chat": ["POST"],
};
