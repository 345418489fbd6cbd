/**
 * Which Groq model the kit uses when GROQ_MODEL names none, and what it knows about a model id.
 * Groq's GET /models does not say which models are "production" and which "preview"; its
 * documentation does (https://console.groq.com/docs/models: production models "meet or exceed
 * our high standards for speed, quality, and reliability"; preview models are "for evaluation
 * purposes only" and may be discontinued at short notice). The kit keeps an ordered list of
 * the production ids named there and only picks from what the API lists now: a listed
 * production id first, in this order; then any listed model not known as preview; a preview
 * model only when nothing else is listed, and it says so.
 *
 * @module
 */
import type { GroqModelEntry } from "./wire.ts";

/** Where the production/preview split comes from. */
export const GROQ_MODELS_DOC = "https://console.groq.com/docs/models";

/**
 * Production models named in Groq's documentation, in the kit's order of preference: the
 * session's Llama family first (small and fast first), then OpenAI's open-weight reasoning
 * models. Only ids that `models.list()` returns are ever used. llama-3.3-70b-versatile is not
 * here: Groq decommissioned it on 2026-08-16.
 */
export const GROQ_PREFERENCE: readonly string[] = [
  "llama-3.1-8b-instant",
  "openai/gpt-oss-20b",
  "openai/gpt-oss-120b",
];

/** Ids Groq's documentation lists as preview (evaluation only), by pattern. */
const PREVIEW = /llama-4-|kimi-k2|qwen3-32b|-preview\b|allam|mistral-saba|deepseek-r1-distill/i;

/** Ids of models that are not for chat (speech, guards, TTS, agent systems). */
const NOT_CHAT = /whisper|tts|guard|orpheus|playai|distil-whisper|compound|safeguard|embed/i;

/** Reasoning models: they think before answering (Groq sends `reasoning`, or `<think>` text). */
const REASONING = /gpt-oss|qwen3|qwq|deepseek-r1|magistral|reasoning/i;

/** True for a model that reasons before it answers (gpt-oss, qwen3, DeepSeek-R1 …). */
export function isReasoningModel(id: string): boolean {
  return REASONING.test(id);
}

/** True for an id Groq's documentation lists as a preview model. */
export function isPreviewModel(id: string): boolean {
  return PREVIEW.test(id);
}

/**
 * The chat models of a list, active ones only (no speech, guard, TTS or agent systems).
 *
 * @example
 * ```ts
 * chatModels(groq.models).map((m) => m.id);
 * ```
 */
export function chatModels(models: GroqModelEntry[]): GroqModelEntry[] {
  return models.filter((m) => m.active !== false && !NOT_CHAT.test(m.id));
}

/** A choice and its reason (Spanish, shown to the student). */
export interface GroqChoice {
  id: string;
  reason: string;
}

/**
 * Chooses a chat model from what Groq lists now, as the module doc says. Null when none fits.
 *
 * @example
 * ```ts
 * chooseGroqModel(list)?.reason; // "«openai/gpt-oss-20b»: el primero de la lista de preferencia …"
 * ```
 */
export function chooseGroqModel(models: GroqModelEntry[]): GroqChoice | null {
  const chat = chatModels(models);
  if (!chat.length) return null;
  const ids = new Set(chat.map((m) => m.id));
  const preferred = GROQ_PREFERENCE.find((id) => ids.has(id));
  const n = chat.length;
  if (preferred) {
    return {
      id: preferred,
      reason: `«${preferred}»: el primero de la lista de preferencia del kit (modelos de ` +
        `producción según ${GROQ_MODELS_DOC}: ${GROQ_PREFERENCE.join(", ")}) entre los ${n} ` +
        `modelos de chat que lista el servicio (GROQ_MODEL está vacío)`,
    };
  }
  const llamaFirst = (m: GroqModelEntry) => (/llama/i.test(m.id) ? 0 : 1);
  const order = (a: GroqModelEntry, b: GroqModelEntry) =>
    llamaFirst(a) - llamaFirst(b) || (b.created ?? 0) - (a.created ?? 0) ||
    a.id.localeCompare(b.id);
  const stable = chat.filter((m) => !isPreviewModel(m.id)).sort(order);
  if (stable.length) {
    return {
      id: stable[0].id,
      reason: `«${stable[0].id}»: ninguno de la lista de preferencia del kit está disponible; ` +
        `es el más reciente (familia Llama primero) de los ${n} modelos de chat listados que ` +
        `no son «preview» (GROQ_MODEL está vacío)`,
    };
  }
  const preview = chat.sort(order)[0];
  return {
    id: preview.id,
    reason: `«${preview.id}»: el servicio solo lista modelos «preview» (solo para evaluación, ` +
      `Groq puede retirarlos sin apenas aviso: ${GROQ_MODELS_DOC}). Fija uno en GROQ_MODEL`,
  };
}

/** The id {@link chooseGroqModel} picks, or null. */
export function chooseModel(models: GroqModelEntry[]): string | null {
  return chooseGroqModel(models)?.id ?? null;
}
