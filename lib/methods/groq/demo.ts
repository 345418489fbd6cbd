/**
 * The notebook's section on errors: each failure a student can meet with Groq, provoked on
 * purpose and shown as the kit shows it (a Spanish message, never the key). Offline, the
 * local server imitates every failure; online, only the harmless ones are provoked for
 * real (a wrong key, a retired model, no network) — never a burst of requests against
 * someone's quota.
 *
 * @module
 */
import { groqBackend, groqError, redact } from "./backend.ts";
import { KitError } from "../../core/errors.ts";
import { secretValue } from "../../core/mod.ts";
import type { GroqFailure } from "./standin/server.ts";
import { type GroqConnection, OFFLINE_PLACEHOLDER_KEY } from "./connect.ts";

/** One provoked failure and what the kit made of it. */
export interface ErrorDemo {
  /** What was done (Spanish). */
  caso: string;
  /** The error kind, or "ok" when the call ended up succeeding (e.g. after a retry). */
  resultado: string;
  /** HTTP status, when there was one. */
  estado?: number;
  /** Seconds the call took (shows retry-after being honoured). */
  segundos: number;
  /** The message a student sees (or the notices, when it succeeded). */
  mensaje: string;
}

/** A port on 127.0.0.1 with nothing listening (to show "network down" safely). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A model id Groq retired (2026-08-16): asking for it shows the "retired model" message. */
export const RETIRED_MODEL_EXAMPLE = "llama-3.1-8b-instant";

/**
 * Provokes each failure and returns one row per case. Every call is short and bounded
 * (a few tokens, retries only on the local server). The key never appears: messages are the
 * kit's own, and are redacted once more here for certainty.
 *
 * @example
 * ```ts
 * const rows = await errorDemos(groq);
 * showTable(rows);
 * ```
 */
export async function errorDemos(conn: GroqConnection): Promise<ErrorDemo[]> {
  const rows: ErrorDemo[] = [];
  const offline = conn.mode === "offline" && conn.server !== null;
  const server = conn.server;
  const base = offline
    ? { baseURL: server!.url, apiKey: OFFLINE_PLACEHOLDER_KEY }
    : { baseURL: conn.backend.baseURL };
  const secrets = [secretValue("GROQ_API_KEY")];

  async function attempt(
    caso: string,
    run: (notify: (m: string) => void) => Promise<unknown>,
  ): Promise<void> {
    const notes: string[] = [];
    const start = performance.now();
    try {
      await run((m) => notes.push(m));
      rows.push({
        caso,
        resultado: "ok",
        segundos: (performance.now() - start) / 1000,
        mensaje: redact(notes.join(" ") || "respondió sin errores", secrets),
      });
    } catch (error) {
      const e = error instanceof KitError
        ? error
        : groqError("network", "Error inesperado (sin detalles, para no mostrar datos).");
      rows.push({
        caso,
        resultado: e.kind,
        estado: e.status,
        segundos: (performance.now() - start) / 1000,
        mensaje: redact([...notes, e.message].join(" "), secrets),
      });
    } finally {
      await server?.simulate(null);
    }
  }
  const chat = (notify: (m: string) => void, extra: Record<string, unknown> = {}) =>
    groqBackend({ ...base, model: conn.backend.model, notify, ...extra }).then((b) =>
      b.generate("Hola", { maxTokens: 8 })
    );
  const simulate = async (f: GroqFailure) => {
    await server?.simulate(f);
  };

  // A wrong key: the real Groq answers 401; the local server is told to.
  await attempt("clave incorrecta (401)", async (notify) => {
    if (offline) await simulate({ kind: "unauthorized" });
    await groqBackend({ ...base, apiKey: "clave-incorrecta", notify });
  });
  await attempt(
    `modelo retirado en GROQ_MODEL («${RETIRED_MODEL_EXAMPLE}»)`,
    (notify) => groqBackend({ ...base, model: RETIRED_MODEL_EXAMPLE, notify }),
  );
  await attempt(
    "sin red (nadie escucha en la dirección)",
    (notify) =>
      groqBackend({ ...base, baseURL: `http://127.0.0.1:${closedPort()}`, maxRetries: 0, notify }),
  );
  if (!offline) return rows;

  await attempt("429 con retry-after: 1 s, una vez (el kit espera y reintenta)", async (notify) => {
    await simulate({ kind: "rate-limit", retryAfterS: 1 });
    return chat(notify);
  });
  await attempt("429 que no cede (3 veces seguidas)", async (notify) => {
    await simulate({ kind: "rate-limit", retryAfterS: 1, times: 3 });
    return chat(notify, { maxRetries: 1 });
  });
  await attempt("500 del servidor (3 veces seguidas)", async (notify) => {
    await simulate({ kind: "server-error", status: 500, times: 3 });
    return chat(notify, { maxRetries: 1 });
  });
  await attempt("modelo retirado durante la sesión (400 model_decommissioned)", async (notify) => {
    await simulate({ kind: "retired" });
    return chat(notify);
  });
  await attempt("conexión cortada a mitad del streaming", async (notify) => {
    await simulate({ kind: "disconnect", afterChunks: 3 });
    const b = await groqBackend({ ...base, model: conn.backend.model, notify });
    await b.stream("Hola", { maxTokens: 8 }).result;
  });
  await attempt("respuesta lenta (tiempo límite de 0.5 s)", async (notify) => {
    await simulate({ kind: "slow", delayMs: 1500 });
    return chat(notify, { requestTimeoutMs: 500, maxRetries: 0 });
  });
  return rows;
}
