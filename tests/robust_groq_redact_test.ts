/**
 * Issue 18, item 20: no part of the key leaves the Groq backend — not through an SSE
 * `x_groq.error` that echoes the Authorization header, not through a 401 body that echoes only
 * the key's tail, in the message, the stack, the fields or an inspection of the error.
 */
import assert from "node:assert/strict";
import { KitError } from "../lib/core/mod.ts";
import { groqBackend, redact } from "../lib/methods/groq/backend.ts";

const KEY = "gsk_" + "Q7rT2mW9xK4pL8vB3nZ6cY1hF5jD0sGaE4uR7iO2wX9qM3kN6tV8".slice(0, 52);
const TAIL = KEY.slice(-10);

/** Every 6-character piece of the key (an independent check of "nothing of it shows"). */
function leaks(text: string): string[] {
  const found = new Set<string>();
  for (let i = 0; i + 6 <= KEY.length; i++) {
    const piece = KEY.slice(i, i + 6);
    if (text.includes(piece)) found.add(piece);
  }
  return [...found];
}

function everythingIn(e: unknown): string {
  const k = e as KitError;
  return [
    k.message,
    k.stack ?? "",
    k.serverMessage ?? "",
    k.partialText ?? "",
    k.hint ?? "",
    JSON.stringify(k),
    Deno.inspect(e, { depth: 10 }),
  ].join("\n");
}

const MODELS = {
  object: "list",
  data: [{ id: "llama-eco", object: "model", created: 1, owned_by: "x", active: true }],
};

function serve(
  handler: (req: Request, auth: string) => Response,
): { url: string; close(): Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => handler(req, req.headers.get("authorization") ?? ""),
  );
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("redact hides a key's tail and other fragments, but not the offline placeholder", () => {
  assert.equal(leaks(redact(`Invalid API Key ending in ${TAIL}`, [KEY])).length, 0);
  assert.match(redact(`clave …${TAIL}.`, [KEY]), /clave …••••\.$/);
  const placeholder = "kit-offline-no-es-una-clave";
  assert.equal(
    redact("model kit-offline-tiny", [placeholder]),
    "model kit-offline-tiny",
  );
});

Deno.test("groq: an SSE x_groq.error echoing the Authorization header never shows the key", async () => {
  const server = serve((req, auth) => {
    if (req.url.endsWith("/models")) return Response.json(MODELS);
    const sse = [
      { choices: [{ index: 0, delta: { role: "assistant", content: "Hola " } }] },
      { choices: [], x_groq: { id: "req_1", error: `upstream rejected header «${auth}»` } },
    ].map((c) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, ...c })}\n\n`
    ).join("");
    return new Response(sse, { headers: { "content-type": "text/event-stream" } });
  });
  try {
    const groq = await groqBackend({ apiKey: KEY, baseURL: server.url, notify: () => {} });
    const s = groq.stream("Hola", { maxTokens: 5 });
    let caught: unknown;
    try {
      for await (const _ of s) { /* read */ }
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof KitError, String(caught));
    assert.deepEqual(leaks(everythingIn(caught)), []);
    await assert.rejects(s.result, (e: unknown) => leaks(everythingIn(e)).length === 0);
    await assert.rejects(
      groq.stream("Hola", { maxTokens: 5 }).result,
      (e: unknown) => e instanceof KitError && leaks(everythingIn(e)).length === 0,
    );
  } finally {
    await server.close();
  }
});

Deno.test("groq: a 401 body echoing the key's tail never shows it", async () => {
  const server = serve(() =>
    Response.json({
      error: {
        message: `Invalid API Key: …${TAIL} (key ${KEY.slice(0, 12)}…)`,
        type: "invalid_request_error",
        code: "invalid_api_key",
      },
    }, { status: 401 })
  );
  try {
    await assert.rejects(
      groqBackend({ apiKey: KEY, baseURL: server.url, notify: () => {} }),
      (e: unknown) => {
        assert.ok(e instanceof KitError);
        assert.equal(e.kind, "auth");
        assert.deepEqual(leaks(everythingIn(e)), []);
        return true;
      },
    );
  } finally {
    await server.close();
  }
});
