/**
 * Internal: how the offline Groq server writes its answers — JSON bodies and Groq's error
 * bodies, the SSE chunks of a streamed completion, and a body that breaks off mid-response.
 * Every response carries the stand-in's offline header.
 *
 * @module
 */
import { type GroqErrorBody, OFFLINE_HEADER } from "../wire.ts";

/** The `system_fingerprint` of every completion the stand-in writes. */
export const SYSTEM_FINGERPRINT = "fp_kit_offline";

/** A Groq-style id: `prefix` and 26 random hex digits. */
export function randomId(prefix: string): string {
  return prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 26);
}

/** An error body as Groq sends it (`code` only when given). */
export function errorBody(message: string, type: string, code?: string): GroqErrorBody {
  return { error: code ? { message, type, code } : { message, type } };
}

/** A JSON response marked as offline, with extra `headers`. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", [OFFLINE_HEADER]: "1", ...headers },
  });
}

/** 401 invalid_api_key, as Groq answers a missing or bad key. */
export function invalidKey(): Response {
  return json(401, errorBody("Invalid API Key", "invalid_request_error", "invalid_api_key"));
}

/** 404 unknown_url for a route Groq does not have. */
export function unknownUrl(method: string, path: string): Response {
  return json(
    404,
    errorBody(`Unknown request URL: ${method} ${path}.`, "invalid_request_error", "unknown_url"),
  );
}

/** 404 model_not_found for a model id that is not served. */
export function modelNotFound(wanted: string): Response {
  return json(
    404,
    errorBody(
      `The model \`${wanted}\` does not exist or you do not have access to it.`,
      "invalid_request_error",
      "model_not_found",
    ),
  );
}

/** 400 model_decommissioned, as Groq answers a retired model. */
export function decommissioned(wanted: string): Response {
  return json(
    400,
    errorBody(
      `The model \`${wanted}\` has been decommissioned and is no longer supported. Please ` +
        "refer to https://console.groq.com/docs/deprecations for a recommendation on which " +
        "model to use instead.",
      "invalid_request_error",
      "model_decommissioned",
    ),
  );
}

/** 400 invalid_request_error with `message`. */
export function badRequest(message: string): Response {
  return json(400, errorBody(message, "invalid_request_error"));
}

/**
 * A 200 JSON response whose body breaks off after a few bytes: Deno drops the connection
 * mid-response, as a network cut does.
 */
export function brokenBody(headers: Record<string, string>): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"id":"chatcmpl-'));
    },
    pull(controller) {
      controller.error(new Error("simulated disconnect"));
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Writes the `data: …` events of one streamed completion. */
export interface SseWriter {
  /** One `chat.completion.chunk` event (with `x_groq` when given). */
  chunk(delta: Record<string, string>, finish: string | null, xGroq?: object): Uint8Array;
  /** The closing `data: [DONE]` event. */
  done(): Uint8Array;
}

/** The SSE writer for the completion `id` of `model`, created at `createdS` (seconds). */
export function sseWriter(id: string, model: string, createdS: number): SseWriter {
  const encoder = new TextEncoder();
  return {
    chunk: (delta, finish, xGroq) =>
      encoder.encode(
        `data: ${
          JSON.stringify({
            id,
            object: "chat.completion.chunk",
            created: createdS,
            model,
            system_fingerprint: SYSTEM_FINGERPRINT,
            choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
            ...(xGroq ? { x_groq: xGroq } : {}),
          })
        }\n\n`,
      ),
    done: () => encoder.encode("data: [DONE]\n\n"),
  };
}

/**
 * A 200 `text/event-stream` response pulling its events from `events`. An error thrown by
 * `events` breaks the connection mid-response (a disconnect); `onCancel` runs when the client
 * goes away, before `events` is closed.
 */
export function sseResponse(
  events: AsyncGenerator<Uint8Array>,
  onCancel: () => void,
  headers: Record<string, string>,
): Response {
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        // Erroring the body makes Deno drop the connection mid-response: a disconnect.
        controller.error(error);
      }
    },
    async cancel() {
      onCancel();
      await events.return(undefined);
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers },
  });
}
