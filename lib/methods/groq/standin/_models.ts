/**
 * Internal: the offline Groq server's model list — the one model it serves, visibly offline
 * (owned by "kit-offline"), and the retired ids it answers with 400 model_decommissioned.
 *
 * @module
 */
import type { GroqModelEntry } from "../wire.ts";

/** Answered 400 model_decommissioned: shut down per console.groq.com/docs/deprecations. */
export const RETIRED_GROQ_MODELS = ["llama2-70b-4096", "mixtral-8x7b-32768"];

/** The owner of every model the stand-in lists. */
const OWNER = "kit-offline";

/** The entry of GET /openai/v1/models for the served model `id`. */
export function modelEntry(
  id: string,
  created: number,
  maxCompletionTokens: number,
): GroqModelEntry {
  return {
    id,
    object: "model",
    created,
    owned_by: OWNER,
    active: true,
    context_window: 2048,
    max_completion_tokens: maxCompletionTokens,
  };
}
