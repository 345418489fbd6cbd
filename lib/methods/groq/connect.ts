/**
 * Method 4 online or offline, with the same calls: {@link connectGroq} talks to the real Groq
 * when there is a key (and KIT_OFFLINE is not set), and otherwise starts the kit's local
 * Groq-protocol server (generating with the forge's `tiny` model) and points groq-sdk at it
 * with a placeholder key that is plainly not a key. It always says which one it is using.
 *
 * @module
 */
import { groqMode } from "./mode.ts";
import { KIT_ES_NOTE as OFFLINE_MODEL_NOTE } from "../../forge/mod.ts";
import { KitError } from "../../core/errors.ts";
import { type GroqBackend, groqBackend, type GroqOptions } from "./backend.ts";
import type { Backend } from "../../core/types.ts";
import { type GroqFailure, startGroqServer } from "./standin/server.ts";
import { spawnGroqServer } from "./standin/process.ts";
import type { Dtype } from "../../measure/memory.ts";

/** The key groq-sdk gets in offline mode: not a key, and says so (matches no secret pattern). */
export const OFFLINE_PLACEHOLDER_KEY = "kit-offline-no-es-una-clave";

/** The offline server, in this process or a child one: what a connection needs of it. */
export interface OfflineGroqServer {
  readonly url: string;
  readonly port: number;
  readonly modelId: string;
  /** The server's process id when it runs as its own process (spawnGroqServer). */
  readonly pid?: number;
  /** Queues failures to imitate (null clears the queue). */
  simulate(failure: GroqFailure | GroqFailure[] | null): Promise<void>;
  close(): Promise<void>;
}

/** A Groq backend and where it points. */
export interface GroqConnection {
  /** The backend: same calls online and offline. */
  backend: GroqBackend;
  mode: "online" | "offline";
  /** Why this mode (Spanish). */
  reason: string;
  /** The local server in offline mode; null online. */
  server: OfflineGroqServer | null;
  /** Closes the backend and stops the local server, if any. */
  close(): Promise<void>;
}

/** Options for {@link connectGroq}. */
export interface ConnectOptions {
  /** Options for the online backend (key, model, retries…). */
  groq?: GroqOptions;
  /**
   * Generator for offline mode, run in this process. Default: a child process running the
   * server on `localBackend()` (the kit's offline model, kit-es), so that client timings are not skewed by
   * generation sharing this process's event loop.
   */
  offlineBackend?: () => Promise<Backend>;
  /** dtype of the local model in the child process (default fp32). */
  dtype?: Dtype;
  /**
   * Online failures at connection time (network, bad key, retired model) fall back to the
   * local server, with the reason shown (default true). False: they are thrown.
   */
  fallback?: boolean;
  /** Where notices go (default console.log). */
  notify?: (message: string) => void;
}

/**
 * Starts the offline Groq stand-in and a backend pointed at it.
 *
 * @example
 * ```ts
 * const conn = await connectOffline("KIT_OFFLINE=1");
 * await conn.close();
 * ```
 */
export async function connectOffline(
  reason: string,
  opts: ConnectOptions = {},
): Promise<GroqConnection> {
  const server: OfflineGroqServer = opts.offlineBackend
    ? await startGroqServer({ backend: await opts.offlineBackend() })
    : await spawnGroqServer({ dtype: opts.dtype, log: opts.notify });
  try {
    const backend = await groqBackend({
      ...opts.groq,
      apiKey: OFFLINE_PLACEHOLDER_KEY,
      baseURL: server.url,
      model: server.modelId,
      notify: opts.notify ?? opts.groq?.notify,
    });
    return {
      backend,
      mode: "offline",
      reason,
      server,
      async close() {
        await backend.close();
        await server.close();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/**
 * Connects method 4: the real Groq when GROQ_API_KEY is set (from `.env`, the environment or
 * Colab's secrets) and KIT_OFFLINE is not; otherwise the kit's local Groq-protocol server.
 * In offline mode the real key, if any, is never sent anywhere.
 *
 * @example
 * ```ts
 * const groq = await connectGroq();
 * groq.mode; // "offline" without a key
 * const r = await groq.backend.generate("Hola", { maxTokens: 20 });
 * await groq.close();
 * ```
 */
export async function connectGroq(opts: ConnectOptions = {}): Promise<GroqConnection> {
  const notify = opts.notify ?? ((m: string) => console.log(m));
  // An explicit key or base URL in the options is the caller's choice; otherwise the one rule.
  if (!opts.groq?.apiKey && !opts.groq?.baseURL) {
    const mode = await groqMode();
    if (mode.mode === "offline") return connectOffline(mode.reason, opts);
  }
  try {
    const backend = await groqBackend({ ...opts.groq, notify: opts.groq?.notify ?? notify });
    return {
      backend,
      mode: backend.mode,
      reason: backend.mode === "online"
        ? `GROQ_API_KEY definida (${backend.maskedKey}); ${backend.baseURL} responde`
        : `${backend.baseURL} es un servidor local del kit, no Groq`,
      server: null,
      close: () => backend.close(),
    };
  } catch (error) {
    if (opts.fallback === false || !(error instanceof KitError)) throw error;
    notify(`No se pudo usar Groq: ${error.message}`);
    return connectOffline(
      `Groq no disponible (${error.kind}); se usa el servidor local del kit`,
      opts,
    );
  }
}

/**
 * One row per fact of a connection, for showTable (Spanish labels, no secret).
 *
 * @example
 * ```ts
 * showTable(connectionRows(await connectGroq()));
 * ```
 */
export function connectionRows(conn: GroqConnection): { item: string; value: string }[] {
  const b = conn.backend;
  return [
    {
      item: "Modo",
      value: conn.mode === "offline"
        ? "offline: servidor local del kit (NO es Groq)"
        : "online: API de Groq",
    },
    { item: "Motivo", value: conn.reason },
    { item: "URL base", value: b.baseURL },
    { item: "Modelo", value: b.modelChoice },
    {
      item: "Clave enviada",
      value: conn.mode === "offline" ? "ninguna (marcador offline, no es una clave)" : b.maskedKey,
    },
    {
      item: "Generador",
      value: conn.mode === "offline"
        ? `${OFFLINE_MODEL_NOTE} (local, CPU), vía el servidor con el protocolo de Groq`
        : "los servidores de Groq (LPU)",
    },
  ];
}
