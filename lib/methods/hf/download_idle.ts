/**
 * A hub download that connects and then stalls (the server sent its headers, or part of the
 * file, and then nothing) has no end of its own: fetch waits for bytes forever, and a notebook
 * cell hangs without saying why. This fetch wrapper gives every hub request an idle limit: when
 * no byte arrives for {@link DOWNLOAD_IDLE_TIMEOUT_MS} while the reader is waiting for one, the
 * request is aborted with a Spanish {@link KitError} that names the file and says what to do.
 *
 * @module
 */
import { KitError } from "../../core/errors.ts";

/**
 * How long a hub download may wait for its next byte (the answer's headers, or the next piece
 * of the body) before the kit gives up on it: 60 s. A slow link still delivers something every
 * few seconds; a minute of silence is a stalled connection. Time the reader spends not asking
 * for bytes (busy elsewhere) does not count.
 */
export const DOWNLOAD_IDLE_TIMEOUT_MS = 60_000;

/** Options of {@link idleTimeoutFetch}. */
export interface IdleTimeoutOptions {
  /** The idle limit in ms (default {@link DOWNLOAD_IDLE_TIMEOUT_MS}). */
  idleMs?: number;
  /** Which method downloads, for the error (null: not known here). */
  method?: 1 | 2 | null;
}

/** "onnx/model.onnx de «org/name»" for a hub URL (`/{org}/{name}/resolve/{rev}/{file}`). */
function fileOf(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  const m = /^\/(?:.*\/)?([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(path);
  return m ? `${m[2]} de «${m[1]}»` : path.split("/").filter(Boolean).at(-1) ?? url;
}

/** The error of a download that received nothing for `idleMs`. */
export function stalledDownload(url: string, idleMs: number, method: 1 | 2 | null): KitError {
  const seconds = Math.round(idleMs / 100) / 10;
  return new KitError(
    `La descarga de ${fileOf(url)} desde ${new URL(url).origin} se quedó parada: ` +
      `${seconds} s sin recibir ni un byte, así que el kit la ha cortado. No queda nada a ` +
      `medias en la caché: vuelve a ejecutar la celda para reintentarlo. Si vuelve a pasar, ` +
      `comprueba la red o, si usas un espejo del Hub, HF_ENDPOINT. Sin conexión, ` +
      `KIT_OFFLINE=1 usa el modelo local del kit.`,
    { method, kind: "timeout" },
  );
}

/** Statuses whose response has no body (a Response with a body cannot carry them). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Wraps a fetch so that each request fails with {@link stalledDownload} when no byte arrives
 * for `idleMs` while it is awaited: before the headers, and between two pieces of the body
 * (then the connection is aborted, and the body's reader gets the error). A caller's own
 * `signal` still aborts it.
 *
 * @example
 * ```ts
 * const f = idleTimeoutFetch(fetch, { idleMs: 30_000, method: 1 });
 * const bytes = await (await f("https://huggingface.co/org/name/resolve/main/config.json")).text();
 * ```
 */
export function idleTimeoutFetch(inner: typeof fetch, opts: IdleTimeoutOptions = {}): typeof fetch {
  const idleMs = opts.idleMs ?? DOWNLOAD_IDLE_TIMEOUT_MS;
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const controller = new AbortController();
    const stall = () => controller.abort(stalledDownload(url, idleMs, opts.method ?? null));
    const signal = init?.signal
      ? AbortSignal.any([init.signal, controller.signal])
      : controller.signal;
    let timer = setTimeout(stall, idleMs);
    let res: Response;
    try {
      res = await inner(input, { ...init, signal });
    } catch (error) {
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearTimeout(timer);
    }
    if (!res.body || NULL_BODY.has(res.status)) return res;
    const reader = res.body.getReader();
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(signal.reason);
      if (signal.aborted) fail();
      else signal.addEventListener("abort", fail, { once: true });
    });
    aborted.catch(() => {});
    const body = new ReadableStream<Uint8Array>({
      async pull(out) {
        timer = setTimeout(stall, idleMs);
        try {
          const { done, value } = await Promise.race([reader.read(), aborted]);
          if (done) out.close();
          else out.enqueue(value);
        } catch (error) {
          reader.cancel(error).catch(() => {});
          throw error;
        } finally {
          clearTimeout(timer);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    const wrapped = new Response(body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
    Object.defineProperty(wrapped, "url", { value: res.url });
    Object.defineProperty(wrapped, "redirected", { value: res.redirected });
    return wrapped;
  };
}
