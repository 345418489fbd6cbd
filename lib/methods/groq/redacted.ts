/**
 * The Groq backend's exit: every error that leaves it — thrown by `groqBackend`, rejected by
 * `generate`, by a stream's iteration or its `result`, or by `listModels` — goes through
 * {@link redactError} with the key in use, whatever code path made it (an SSE `x_groq.error`
 * echoing the Authorization header, a 401 body echoing the key's tail…). One redaction, at
 * the boundary.
 *
 * @module
 */
import type { GenerationStream } from "../../core/types.ts";
import { redactError } from "./errors.ts";

type Clean = (error: unknown) => unknown;

/** A stream whose iteration and `result` reject with redacted errors. */
function redactStream(s: GenerationStream, clean: Clean): GenerationStream {
  let result: Promise<Awaited<GenerationStream["result"]>> | undefined;
  return {
    [Symbol.asyncIterator]() {
      const it = s[Symbol.asyncIterator]();
      return {
        next: () => it.next().catch((e) => Promise.reject(clean(e))),
        return: (v?: unknown) =>
          it.return?.(v as never) ?? Promise.resolve({ done: true as const, value: undefined }),
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    },
    get result() {
      if (!result) {
        result = s.result.catch((e) => Promise.reject(clean(e)));
        result.catch(() => {}); // delivered to whoever awaits it, as measureStream does
      }
      return result;
    },
    abort: () => s.abort(),
  };
}

/**
 * Wraps, in place, the methods of a backend that can fail so that their errors are redacted
 * for `secrets`; returns the backend.
 */
export function redactBackend<
  T extends {
    generate: (...a: never[]) => Promise<unknown>;
    stream: (...a: never[]) => GenerationStream;
    listModels: (...a: never[]) => Promise<unknown>;
  },
>(backend: T, secrets: (string | undefined)[]): T {
  const clean: Clean = (e) => redactError(e, secrets);
  const { generate, stream, listModels } = backend;
  const wrapped = {
    generate: (...a: never[]) => generate.apply(backend, a).catch((e) => Promise.reject(clean(e))),
    stream: (...a: never[]) => {
      try {
        return redactStream(stream.apply(backend, a), clean);
      } catch (e) {
        throw clean(e);
      }
    },
    listModels: (...a: never[]) =>
      listModels.apply(backend, a).catch((e) => Promise.reject(clean(e))),
  };
  for (const [name, value] of Object.entries(wrapped)) {
    Object.defineProperty(backend, name, { value, writable: true, configurable: true });
  }
  return backend;
}
