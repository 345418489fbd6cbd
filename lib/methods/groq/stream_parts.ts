/**
 * Reading a Groq answer into the kit's pieces: the answer, and a reasoning model's reasoning
 * apart. Groq sends reasoning in `delta.reasoning` / `message.reasoning` (gpt-oss by default,
 * other models with `reasoning_format: "parsed"`) or inline between `<think>` and `</think>`
 * (`reasoning_format: "raw"`); `"hidden"` sends none. completion_tokens counts both, and
 * `usage.completion_tokens_details.reasoning_tokens`, when present, the reasoning alone.
 * Source: https://console.groq.com/docs/reasoning.
 *
 * @module
 */
import type { Piece } from "../../core/stream.ts";
import type { ChatMessage, PromptInput } from "../../core/types.ts";
import { thinkSplitter } from "../../core/think_tags.ts";
import { isReasoningModel } from "./models.ts";

/** Extra max_completion_tokens a reasoning model gets, so that its answer has room. */
export const REASONING_ALLOWANCE = 1024;

/** What a chat-completions request carries for a model, and why (Spanish). */
export interface ReasoningRequest {
  max_completion_tokens: number;
  /** reasoning_effort / reasoning_format for reasoning models (empty otherwise). */
  extra: Record<string, string>;
  /** Why max_completion_tokens differs from maxTokens (absent when it does not). */
  note?: string;
}

/**
 * The request fields for `model` asked for `maxTokens` of answer. A reasoning model spends
 * tokens thinking before the first token of the answer, and max_completion_tokens bounds both:
 * with 60 the answer can be empty. So it gets {@link REASONING_ALLOWANCE} more, gpt-oss is asked
 * for `reasoning_effort: "low"`, and the others for `reasoning_format: "parsed"` (reasoning apart).
 *
 * @example
 * ```ts
 * reasoningRequest("openai/gpt-oss-20b", 60).max_completion_tokens; // 1084
 * reasoningRequest("llama-3.1-8b-instant", 60).max_completion_tokens; // 60
 * ```
 */
export function reasoningRequest(model: string, maxTokens: number): ReasoningRequest {
  if (!isReasoningModel(model)) return { max_completion_tokens: maxTokens, extra: {} };
  const extra: Record<string, string> = /gpt-oss/i.test(model)
    ? { reasoning_effort: "low" }
    : { reasoning_format: "parsed" };
  return {
    max_completion_tokens: maxTokens + REASONING_ALLOWANCE,
    extra,
    note: `«${model}» razona antes de responder y max_completion_tokens cuenta ambos: se piden ` +
      `${maxTokens} + ${REASONING_ALLOWANCE} tokens para que quede sitio a la respuesta`,
  };
}

/**
 * When the answer never started because max_completion_tokens ran out first (a reasoning model
 * that thought for longer than the kit's allowance): what happened and what to do, in Spanish,
 * as `details.answerMissing`. Empty otherwise.
 */
export function cutNote(
  model: string,
  finish: string | null | undefined,
  answered: boolean,
): { answerMissing?: string } {
  if (answered || finish !== "length") return {};
  const why = isReasoningModel(model)
    ? "razonó hasta agotar max_completion_tokens (que cuenta razonamiento y respuesta)"
    : "agotó max_completion_tokens";
  return {
    answerMissing: `Sin respuesta: «${model}» ${why} antes de escribir la respuesta ` +
      `(finish_reason "length"). Pide más tokens (maxTokens) o una pregunta más simple.`,
  };
}

/** The delta (stream) or message (whole answer) fields the parts come from. */
export interface ReasoningFields {
  content?: string | null;
  reasoning?: string | null;
}

/**
 * A stateful reader of deltas: `push(delta)` returns the pieces (reasoning as kind "thinking",
 * one token a delta like the answer), `end()` what a split tag held back.
 */
export function partsReader(): {
  push(delta: ReasoningFields | undefined): Piece[];
  end(): Piece[];
} {
  const split = thinkSplitter();
  // One delta is one token. A delta that is only part of a tag ("<think>") shows nothing yet:
  // its token goes with the next piece shown.
  let pending = 0;
  const toPieces = (parts: { kind: "thinking" | "answer"; text: string }[]): Piece[] => {
    const out: Piece[] = parts.filter((p) => p.text).map((p) => ({
      text: p.text,
      kind: p.kind,
      tokens: 0,
    }));
    if (out.length) {
      out[0].tokens = pending;
      pending = 0;
    }
    return out;
  };
  return {
    push(delta) {
      const out: Piece[] = [];
      if (delta?.reasoning) out.push({ text: delta.reasoning, kind: "thinking" });
      if (delta?.content) {
        pending += 1;
        out.push(...toPieces(split.push(delta.content)));
      }
      return out;
    },
    end() {
      const out = toPieces(split.end());
      if (pending) out.push({ text: "", tokens: pending, kind: "thinking" });
      pending = 0;
      return out;
    },
  };
}

/** A prompt as chat messages (a plain string is one user turn). */
export function toMessages(prompt: PromptInput): ChatMessage[] {
  return typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt;
}
