/**
 * The stand-in's HTTP plumbing, answering as Ollama does: JSON bodies, `{"error": …}` errors with
 * Ollama's status codes, NDJSON streams whose mid-stream errors are a last `{"error"}` line, and
 * every response marked with the stand-in's header.
 *
 * @module
 */

/** The header every response of the stand-in carries. */
export const OFFLINE_HEADER = "X-Kit-Offline";

import { KitError } from "../../../core/errors.ts";

const NDJSON = "application/x-ndjson";
const JSON_TYPE = "application/json; charset=utf-8";

/** An HTTP error with Ollama's `{"error": …}` body. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** An error's message. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function headers(type: string): Headers {
  return new Headers({ "Content-Type": type, [OFFLINE_HEADER]: "1" });
}

/** A JSON response. */
export function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), { status, headers: headers(JSON_TYPE) });
}

/** A plain-text response (Ollama's "Ollama is running", Gin's "404 page not found"). */
export function text(status: number, body: string): Response {
  return new Response(body, { status, headers: headers("text/plain; charset=utf-8") });
}

/** Ollama's `{"error": …}` body for a thrown value (500 unless it is an {@link HttpError}). */
export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) return json(error.status, { error: error.message });
  return json(KitError.is(error, "bad-request") ? 400 : 500, { error: errorText(error) });
}

/** A JSON response computed in full first; errors become Ollama's 4xx/5xx `{"error"}` bodies. */
export async function respondLater(compute: () => Promise<unknown>): Promise<Response> {
  try {
    return json(200, await compute());
  } catch (error) {
    return errorResponse(error);
  }
}

/** The request body as a JSON object, or Ollama's 400s. */
export async function readBody(req: Request): Promise<Record<string, unknown>> {
  const raw = await req.text();
  if (!raw.trim()) throw new HttpError(400, "missing request body");
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new HttpError(400, `invalid character in request body: ${errorText(error)}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/**
 * An NDJSON streaming response: one JSON object per line; an error thrown while streaming
 * becomes a final `{"error": "..."}` line (the status, 200, has already gone out).
 */
export function ndjson(
  items: AsyncGenerator<unknown>,
  onCancel?: () => void,
  onEnd?: () => void,
): Response {
  const enc = new TextEncoder();
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd?.();
    }
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await items.next();
        if (next.done) {
          controller.close();
          end();
        } else controller.enqueue(enc.encode(JSON.stringify(next.value) + "\n"));
      } catch (error) {
        controller.enqueue(enc.encode(JSON.stringify({ error: errorText(error) }) + "\n"));
        controller.close();
        end();
      }
    },
    async cancel() {
      onCancel?.();
      await items.return(undefined).catch(() => {});
      end();
    },
  });
  return new Response(body, { status: 200, headers: headers(NDJSON) });
}
