/**
 * A thinking model on Ollama (qwen3, deepseek-r1, gpt-oss …) thinks before it answers, and
 * num_predict bounds both: asked for 40 tokens, a real qwen3 spends all 40 thinking and the
 * answer never starts. So, when the request thinks, the kit asks for the answer's tokens plus
 * {@link THINKING_ALLOWANCE}, says so, and says when even that was not enough.
 *
 * @module
 */

/** Extra num_predict a thinking model gets, so that its answer has room (as Groq's allowance). */
export const THINKING_ALLOWANCE = 1024;

/** What a request asks for, and why (Spanish; absent when nothing was added). */
export interface ThinkingBudget {
  numPredict: number;
  note?: string;
}

/**
 * The num_predict for `maxTokens` of answer. `thinks`: the model has the "thinking" capability
 * (its /api/show) and the request does not say `think: false` (Ollama then thinks by default).
 *
 * @example
 * ```ts
 * thinkingBudget("qwen3:0.6b", 40, true).numPredict; // 1064
 * thinkingBudget("llama3.2:1b", 40, false).numPredict; // 40
 * ```
 */
export function thinkingBudget(model: string, maxTokens: number, thinks: boolean): ThinkingBudget {
  if (!thinks) return { numPredict: maxTokens };
  return {
    numPredict: maxTokens + THINKING_ALLOWANCE,
    note:
      `«${model}» razona antes de responder y num_predict cuenta ambos: se piden ${maxTokens} ` +
      `+ ${THINKING_ALLOWANCE} tokens para que quede sitio a la respuesta (think: false lo evita)`,
  };
}

/**
 * When the answer never started (done_reason "length" and no answer text): what happened and
 * what to do, as `details.answerMissing`. Empty otherwise.
 */
export function answerMissing(
  model: string,
  doneReason: string | undefined,
  answered: boolean,
): { answerMissing?: string } {
  if (answered || doneReason !== "length") return {};
  return {
    answerMissing: `Sin respuesta: «${model}» agotó num_predict razonando antes de escribir la ` +
      `respuesta (done_reason "length"). Pide más tokens (maxTokens) o usa think: false.`,
  };
}
