/**
 * The one entry check every backend goes through before any request: the prompt, maxTokens
 * and the other options ({@link validateRequest}), the prompt's length against the model's
 * context when the backend can count tokens, and "this backend is closed". Each failure is a
 * {@link KitError} with a Spanish message ("bad-request" or "closed"), thrown before anything
 * is sent to a model or a server. {@link guardBackend} puts these checks in front of a
 * backend's `generate` and `stream`; the four methods use it.
 *
 * @module
 */
import { KitError } from "./errors.ts";
import {
  type Backend,
  DEFAULT_MAX_TOKENS,
  type GenerateOptions,
  type GenerationStream,
  type PromptInput,
} from "./types.ts";

/** Largest maxTokens the kit accepts at all (no model the session uses has a longer context). */
export const MAX_TOKENS_LIMIT = 131_072;

type Method = 1 | 2 | 3 | 4 | null;

const ROLES = new Set(["system", "user", "assistant"]);

const bad = (method: Method, message: string) =>
  new KitError(message, { method, kind: "bad-request" });

/** A value shown in a message: strings quoted, long ones cut. */
function shown(v: unknown): string {
  if (typeof v === "string") return `"${v.length > 40 ? v.slice(0, 40) + "…" : v}"`;
  if (typeof v === "number" || typeof v === "boolean" || v == null) return String(v);
  return typeof v;
}

/**
 * Checks a prompt and options before any request; throws {@link KitError} "bad-request" with
 * a Spanish message naming the cause and the fix. A prompt is a non-empty string or a
 * non-empty list of `{role, content}` messages with some text; maxTokens an integer from 1 to
 * {@link MAX_TOKENS_LIMIT}; temperature a number from 0 to 2; timeoutMs a positive number.
 *
 * @example
 * ```ts
 * validateRequest("", {}, 3); // throws: «El prompt está vacío…»
 * validateRequest("Hola", { maxTokens: 0 }); // throws: «maxTokens debe ser…»
 * ```
 */
export function validateRequest(
  prompt: PromptInput,
  opts: GenerateOptions = {},
  method: Method = null,
): void {
  if (typeof prompt === "string") {
    if (prompt.trim() === "") {
      throw bad(method, "El prompt está vacío: escribe algo para el modelo.");
    }
  } else if (Array.isArray(prompt)) {
    if (prompt.length === 0) {
      throw bad(method, "La conversación está vacía: pasa al menos un mensaje {role, content}.");
    }
    prompt.forEach((m, i) => {
      if (!m || typeof m !== "object" || !ROLES.has(m.role) || typeof m.content !== "string") {
        throw bad(
          method,
          `El mensaje ${i} de la conversación no es {role: "system"|"user"|"assistant", ` +
            "content: texto}.",
        );
      }
    });
    if (prompt.every((m) => m.content.trim() === "")) {
      throw bad(method, "Todos los mensajes están vacíos: escribe algo para el modelo.");
    }
  } else {
    throw bad(
      method,
      `El prompt debe ser un texto o una lista de mensajes {role, content} (recibido: ${
        shown(prompt)
      }).`,
    );
  }
  const max = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > MAX_TOKENS_LIMIT) {
    throw bad(
      method,
      `maxTokens debe ser un entero entre 1 y ${MAX_TOKENS_LIMIT} (recibido: ${shown(max)}). ` +
        `Por defecto es ${DEFAULT_MAX_TOKENS}.`,
    );
  }
  const t = opts.temperature;
  if (t !== undefined && (typeof t !== "number" || !Number.isFinite(t) || t < 0 || t > 2)) {
    throw bad(method, `temperature debe ser un número entre 0 y 2 (recibido: ${shown(t)}).`);
  }
  const ms = opts.timeoutMs;
  if (ms !== undefined && (typeof ms !== "number" || !(ms > 0) || !Number.isFinite(ms))) {
    throw bad(
      method,
      `timeoutMs debe ser un número de milisegundos mayor que 0 (recibido: ${shown(ms)}).`,
    );
  }
}

/** What a backend knows about its model's context, for {@link guardBackend}. */
export interface ContextLimit {
  /** The model's context length in tokens (max_position_embeddings). */
  contextLength: number;
  /**
   * Tokens of the prompt as the model will see it (chat template applied), or a lower bound
   * (`atLeast`) when counting all of a very long prompt would be slow.
   */
  countTokens(prompt: PromptInput): number | { atLeast: number };
}

/**
 * Throws {@link KitError} "bad-request" when the prompt's tokens plus maxTokens do not fit in
 * the model's context, saying by how much and what to do.
 */
export function checkContext(
  count: number | { atLeast: number },
  maxTokens: number,
  contextLength: number,
  method: Method = null,
): void {
  const promptTokens = typeof count === "number" ? count : count.atLeast;
  if (promptTokens >= contextLength) {
    const many = typeof count === "number" ? `${promptTokens}` : `al menos ${promptTokens}`;
    throw bad(
      method,
      `El prompt tiene ${many} tokens y el contexto del modelo es de ${contextLength}: ` +
        "no cabe. Acórtalo (o resume la conversación) antes de enviarlo.",
    );
  }
  if (promptTokens + maxTokens > contextLength) {
    throw bad(
      method,
      `El prompt (${promptTokens} tokens) más maxTokens (${maxTokens}) pasan del contexto del ` +
        `modelo (${contextLength} tokens). Usa maxTokens ≤ ${
          contextLength - promptTokens
        } o acorta el prompt.`,
    );
  }
}

/**
 * Puts the kit's entry checks in front of a backend, in place, and returns it: `generate` and
 * `stream` validate the request ({@link validateRequest}, then the context when `limit` is
 * given) and refuse to run after `close()` (KitError "closed"); `validate` runs the same
 * checks without generating (the stand-in servers use it to answer 400 before streaming);
 * `close()` may be called twice.
 *
 * @example
 * ```ts
 * return guardBackend({ name: "Ollama", method: 3, mode, generate, stream, close });
 * ```
 */
export function guardBackend<T extends Backend>(backend: T, limit?: ContextLimit): T {
  const { generate, stream, close } = backend;
  let closed = false;
  const check = (prompt: PromptInput, opts: GenerateOptions = {}) => {
    if (closed) {
      throw new KitError(
        `El backend «${backend.name}» (método ${backend.method}) ya está cerrado: se llamó a ` +
          "close(). Crea otro para seguir generando.",
        { method: backend.method, kind: "closed" },
      );
    }
    validateRequest(prompt, opts, backend.method);
    if (limit) {
      checkContext(
        limit.countTokens(prompt),
        opts.maxTokens ?? DEFAULT_MAX_TOKENS,
        limit.contextLength,
        backend.method,
      );
    }
  };
  const methods = {
    validate: check,
    generate(prompt: PromptInput, opts?: GenerateOptions) {
      try {
        check(prompt, opts);
      } catch (e) {
        return Promise.reject(e);
      }
      return generate.call(backend, prompt, opts);
    },
    stream(prompt: PromptInput, opts?: GenerateOptions): GenerationStream {
      check(prompt, opts);
      return stream.call(backend, prompt, opts);
    },
    async close() {
      if (closed) return;
      closed = true;
      await close.call(backend);
    },
  };
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(backend, name, { value, writable: true, configurable: true });
  }
  return backend;
}
