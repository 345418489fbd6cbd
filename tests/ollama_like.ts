/**
 * A local server that answers like a real Ollama of late 2026, for the online paths: the kit's
 * stand-in (which speaks Ollama's wire format) behind a proxy that drops what marks it as the
 * stand-in (the X-Kit-Offline and X-Kit-Engine headers, the "-kit-offline" version, its "/"
 * text). It serves `tiny` and
 * "qwen3:0.6b", a thinking model whose scripted backend writes `<think>…</think>` first, as
 * Qwen3 does (Ollama's parser sends that part as `thinking`).
 */
import { measureStream } from "../lib/core/stream.ts";
import type { Backend } from "../lib/core/types.ts";
import { tinyModel } from "../lib/methods/ollama/standin/models.ts";
import { startOllamaServer } from "../lib/methods/ollama/standin/server.ts";
import { ensureModel } from "../lib/forge/mod.ts";
import { freePort, streamBackend } from "./ollama_helpers.ts";

/** The thinking model's thinking and answer, one token a piece. */
export const THINK = ["Pienso", " en", " la", " memoria", "."];
export const ANSWER = ["La", " memoria", " de", " la", " GPU", " limita", "."];
const SCRIPT = ["<think>", ...THINK, "</think>", "\n\n", ...ANSWER];

/** A backend that writes SCRIPT, one piece a token, bounded by maxTokens. */
export function thinkingBackend(): Backend {
  const stream: Backend["stream"] = (_prompt, opts) =>
    measureStream(async function* () {
      for (const piece of SCRIPT.slice(0, opts?.maxTokens ?? SCRIPT.length)) {
        await new Promise((r) => setTimeout(r, 2));
        yield { text: piece };
      }
      return { tokensIn: 9, model: "qwen3" };
    }, opts);
  return streamBackend("qwen3-guion", 3, stream);
}

/** Starts the stand-in and the proxy; `url` is the proxy's. */
export async function startOllamaLike(): Promise<{ url: string; close(): Promise<void> }> {
  await ensureModel("tiny", { log: () => {} });
  const tiny = tinyModel();
  const qwen = {
    ...tiny,
    name: "qwen3:0.6b",
    details: { ...tiny.details, family: "qwen3", families: ["qwen3"], parameter_size: "751.63M" },
    capabilities: ["completion", "thinking"],
    backend: () => Promise.resolve(thinkingBackend()),
  };
  const inner = await startOllamaServer({ port: freePort(), models: [tiny, qwen], log: () => {} });
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const u = new URL(req.url);
    if (u.pathname === "/api/version") {
      return Response.json({ version: "0.13.1" });
    }
    if (u.pathname === "/") return new Response("Ollama is running");
    const res = await fetch(inner.url + u.pathname + u.search, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer(),
    });
    const headers = new Headers(res.headers);
    headers.delete("x-kit-offline");
    headers.delete("x-kit-engine");
    return new Response(res.body, { status: res.status, headers });
  });
  return {
    url: `http://127.0.0.1:${proxy.addr.port}`,
    async close() {
      await proxy.shutdown();
      await inner.close();
    },
  };
}
