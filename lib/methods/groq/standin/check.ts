/** Internal: a chat request's checks, answered with 400 before anything streams, as Groq does. */
import { type Backend, type ChatMessage, KitError } from "../../../core/mod.ts";

/**
 * The generation options of a chat request, or the 400 message that refuses it: a
 * max_completion_tokens that is not an integer ≥ 1, or what the generator's own entry checks
 * refuse (empty messages, a prompt longer than the model's context). Capped at `cap` tokens.
 */
export function checkChat(
  backend: Backend,
  messages: ChatMessage[],
  payload: Record<string, unknown>,
  cap: number,
): { maxTokens: number; temperature: number } | string {
  const asked = payload.max_completion_tokens ?? payload.max_tokens ?? 128;
  if (typeof asked !== "number" || !Number.isInteger(asked) || asked < 1) {
    return "'max_completion_tokens' must be an integer greater than or equal to 1";
  }
  const options = {
    maxTokens: Math.min(cap, asked),
    temperature: Number(payload.temperature) || 0,
  };
  try {
    backend.validate?.(messages, options);
  } catch (error) {
    if (!KitError.is(error, "bad-request")) throw error;
    return error.message;
  }
  return options;
}
