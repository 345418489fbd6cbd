/**
 * Opens ONE method's backend the way the comparison does (online where the real service is
 * configured and reachable, otherwise the kit's offline stand-in), with its mode and reason.
 * Used by `deno task generate`.
 *
 * @module
 */
import type { Backend, Dtype, MethodMode } from "../core/mod.ts";
import { KitError } from "../core/errors.ts";
import { hubMode } from "./hf/mode.ts";
import { createPipelineBackend } from "./pipeline/backend.ts";
import { createOptimizedBackend } from "./optimized/backend.ts";
import { ollamaBackend } from "./ollama/backend.ts";
import { ollamaMode } from "./ollama/mode.ts";
import { openOllamaStandIn } from "./ollama/standin/process.ts";
import { groqBackend } from "./groq/backend.ts";
import { connectOffline } from "./groq/connect.ts";
import { groqMode } from "./groq/mode.ts";

/** The methods by their command-line names. */
export const METHOD_NAMES = ["pipeline", "optimized", "ollama", "groq"] as const;

/** A method's command-line name. */
export type MethodName = typeof METHOD_NAMES[number];

/** One opened method: its backend, its mode (and why), and how to stop what was started. */
export interface OpenedMethod {
  backend: Backend;
  mode: MethodMode;
  close(): Promise<void>;
}

/**
 * Opens `method`. `model` overrides the model (catalogue id, hub id or folder for methods 1–2;
 * an Ollama or Groq model id online); `dtype` applies to method 2 (default q8).
 *
 * @example
 * ```ts
 * const { backend, mode, close } = await openMethod("optimized", { dtype: "q4" });
 * ```
 */
export async function openMethod(
  method: MethodName,
  opts: { model?: string; dtype?: Dtype } = {},
): Promise<OpenedMethod> {
  if (!METHOD_NAMES.includes(method)) {
    throw new KitError(
      `Método desconocido: «${method}». Usa uno de: ${METHOD_NAMES.join(", ")}.`,
      { kind: "bad-request" },
    );
  }
  const stops: (() => Promise<void>)[] = [];
  const done = (backend: Backend, mode: MethodMode): OpenedMethod => ({
    backend,
    mode: { method: mode.method, name: mode.name, mode: mode.mode, reason: mode.reason },
    async close() {
      await backend.close().catch(() => {});
      for (const stop of stops) await stop().catch(() => {});
    },
  });
  if (method === "pipeline") {
    return done(await createPipelineBackend({ model: opts.model }), await hubMode(1));
  }
  if (method === "optimized") {
    const backend = await createOptimizedBackend({ model: opts.model, dtype: opts.dtype });
    return done(backend, await hubMode(2));
  }
  if (method === "ollama") {
    const mode = await ollamaMode();
    if (mode.mode === "online" && mode.needs === null) {
      return done(await ollamaBackend({ model: opts.model ?? mode.model, host: mode.host }), mode);
    }
    const { server, backend } = await openOllamaStandIn();
    stops.push(server.stop);
    const reason = mode.mode === "online"
      ? `${mode.reason}; Ollama no está en marcha aquí: sustituto local del kit`
      : mode.reason;
    return done(backend, { ...mode, mode: "offline", reason });
  }
  const mode = await groqMode();
  if (mode.mode === "online") {
    return done(await groqBackend({ model: opts.model, notify: () => {} }), mode);
  }
  const conn = await connectOffline(mode.reason, { notify: () => {} });
  stops.push(() => conn.server!.close());
  return done(conn.backend, mode);
}
