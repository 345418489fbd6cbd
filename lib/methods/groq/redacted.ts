/**
 * The Groq backend's exit: every error that leaves it — thrown by `groqBackend`, rejected by
 * `generate`, by a stream's iteration or its `result`, or by `listModels` — goes through
 * {@link redactError} with the key in use, whatever code path made it (an SSE `x_groq.error`
 * echoing the Authorization header, a 401 body echoing the key's tail…). One redaction, at
 * the boundary.
 *
 * @module
 */
import { type GenerationStream, kitConfig, KitError } from "../../core/mod.ts";
import { redactError } from "./errors.ts";
import { validHttpUrl } from "./mode.ts";

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

/**
 * Opens a Groq backend with `open`, after checking that the base URL is an http(s) URL (a
 * Spanish KitError, not retried nor blamed on the network, when it is not), and returns it
 * with every error redacted for the key in use ({@link redactBackend}); errors thrown while
 * opening are redacted too.
 */
export async function openSafely<
  T extends Parameters<typeof redactBackend>[0],
  O extends { apiKey?: string; baseURL?: string },
>(opts: O, open: (opts: O) => Promise<T>): Promise<T> {
  const secrets = [opts.apiKey?.trim(), kitConfig().groq.apiKey];
  const url = opts.baseURL ?? kitConfig().groq.baseURL;
  if (!validHttpUrl(url)) {
    const where = opts.baseURL !== undefined ? "La opción baseURL" : "GROQ_BASE_URL (en .env)";
    throw new KitError(
      `${where} vale "${url}", que no es una URL http(s) válida: corrígela (p. ej. ` +
        "https://api.groq.com) o bórrala para usar la de Groq. No es un problema de red.",
      { method: 4, kind: "other", retryable: false },
    );
  }
  try {
    return redactBackend(await open(opts), secrets);
  } catch (error) {
    throw redactError(error, secrets);
  }
}
