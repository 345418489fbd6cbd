/** Test helpers for the Groq backend and the offline Groq-protocol server. */
import { measureStream, type Piece, type SourceEnd } from "../lib/core/stream.ts";
import { withEnv } from "./_env.ts";
import type { Backend, GenerateOptions, PromptInput } from "../lib/core/types.ts";
import assert from "node:assert/strict";
import { KitError } from "../lib/core/mod.ts";
import { type GroqBackend, groqBackend, type GroqOptions } from "../lib/methods/groq/backend.ts";
import { type GroqServer, startGroqServer } from "../lib/methods/groq/standin/server.ts";
import { localBackend } from "../lib/methods/optimized/local.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";
import { DEFAULT_MAX_TOKENS } from "../lib/core/types.ts";

/**
 * A deterministic stand-in generator: one piece per word of `text`, `gapMs` apart, bounded
 * by maxTokens, honouring abort. For protocol-level tests that do not need a model.
 */
export function scriptedBackend(text = "Hola, soy el servidor local del kit.", gapMs = 2): Backend {
  const words = text.split(/(?<= )/);
  const source = (prompt: PromptInput, o: GenerateOptions) =>
    async function* (signal: AbortSignal): AsyncGenerator<Piece, SourceEnd> {
      const max = o.maxTokens ?? DEFAULT_MAX_TOKENS;
      let n = 0;
      for (const w of words) {
        if (n >= max || signal.aborted) break;
        await new Promise((r) => setTimeout(r, gapMs));
        yield { text: w };
        n += 1;
      }
      const input = typeof prompt === "string" ? prompt : prompt.map((m) => m.content).join(" ");
      return {
        tokensIn: input.split(/\s+/).filter(Boolean).length,
        model: "scripted",
        stopReason: n >= max ? "length" : "stop",
      };
    };
  return {
    name: "Guion",
    method: 2,
    mode: "offline",
    generate: (p, o = {}) => measureStream(source(p, o), o).result,
    stream: (p, o = {}) => measureStream(source(p, o), o),
    close: () => Promise.resolve(),
  };
}

/** Captures console output (log, info, warn, error, debug) while `fn` runs. */
export async function captureConsole<T>(fn: () => Promise<T>): Promise<{ value: T; text: string }> {
  const lines: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : Deno.inspect(a))).join(" "));
    };
  }
  try {
    const value = await fn();
    return { value, text: lines.join("\n") };
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]));
  }
}

/** The prompt the Groq backend tests send. */
export const PROMPT = "La memoria";

/** Runs `fn` with a fresh offline server on the local model, and a backend using the FAKE key. */
export async function withServer(
  fn: (server: GroqServer, groq: GroqBackend, notices: string[]) => Promise<void>,
  opts: GroqOptions = {},
): Promise<void> {
  const server = await startGroqServer({ backend: await localBackend() });
  const notices: string[] = [];
  try {
    const groq = await groqBackend({
      apiKey: FAKE_GROQ_KEY,
      baseURL: server.url,
      notify: (m) => notices.push(m),
      ...opts,
    });
    await fn(server, groq, notices);
  } finally {
    await server.close();
  }
}

/** The error `promise` rejects with, which must be a KitError. */
export async function kitError(promise: Promise<unknown>): Promise<KitError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KitError, `not a KitError: ${error}`);
    return error;
  }
  assert.fail("expected an error");
}

export { withEnv };
