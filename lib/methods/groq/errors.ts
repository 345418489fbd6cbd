/**
 * Internal: every failure of the Groq backend becomes one {@link KitError} with a clean
 * Spanish message that says what to do. The message is built from the status, Groq's error
 * code and the rate-limit headers only — never from the request (which carries the key), and
 * any text taken from the server is passed through {@link redact} first.
 *
 * @module
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "groq-sdk";
import { KitError } from "../../core/errors.ts";
import { findSecrets, maskSecret, SECRET_VARS } from "../../core/secrets.ts";
import {
  describeRateLimits,
  formatSeconds,
  type HeaderLike,
  parseRateLimits,
  type RateLimits,
} from "./wire.ts";

/** What went wrong, as a student needs to know it. */
export type GroqErrorKind =
  | "missing-key"
  | "auth"
  | "forbidden"
  | "rate-limit"
  | "model-unavailable"
  | "bad-request"
  | "server"
  | "network"
  | "timeout"
  | "stream-cut";

/**
 * A Groq failure as the kit's one error type ({@link KitError}, method 4), with a Spanish
 * message a student can act on. Carries no request data.
 *
 * @example
 * ```ts
 * throw groqError("rate-limit", "Demasiadas peticiones…", { status: 429, retryAfterS: 5 });
 * ```
 */
export function groqError(
  kind: GroqErrorKind,
  message: string,
  extra: {
    status?: number;
    retryAfterS?: number;
    rateLimits?: RateLimits;
    availableModels?: string[];
    partialText?: string;
  } = {},
): KitError {
  return new KitError(message, {
    method: 4,
    kind,
    ...extra,
    rateLimits: extra.rateLimits as Record<string, string | number> | undefined,
    retryable: kind === "rate-limit" || kind === "server" || kind === "network",
  });
}

/** Shortest piece of a secret that {@link redact} hides on its own (a key's tail, say). */
export const SECRET_FRAGMENT_CHARS = 5;

/**
 * Removes secrets from a text: each given secret (exactly) and anything that looks like an
 * API key is replaced by its masked form, and any run of {@link SECRET_FRAGMENT_CHARS} or more
 * characters copied from a given secret (a server echoing the key's tail, say) by "••••".
 *
 * @example
 * ```ts
 * redact("clave gsk_" + "a".repeat(40), []); // "clave gsk_•••• (44 caracteres)"
 * redact("Invalid API key ending in …c0ffee42", ["gsk_xyzc0ffee42"]); // "… ending in …••••"
 * ```
 */
export function redact(text: string, secrets: (string | undefined)[] = []): string {
  // The offline placeholder ("kit-offline-no-es-una-clave") is not a secret.
  secrets = secrets.filter((s) => s && !s.startsWith("kit-offline"));
  let out = text;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join(maskSecret(s));
  for (const s of findSecrets(out)) out = out.split(s).join(maskSecret(s));
  for (const s of secrets) if (s && s.length >= SECRET_FRAGMENT_CHARS) out = hideFragments(out, s);
  return out;
}

/** Replaces every run of ≥ SECRET_FRAGMENT_CHARS characters that also occurs in `secret`. */
function hideFragments(text: string, secret: string): string {
  const n = SECRET_FRAGMENT_CHARS;
  const grams = new Set<string>();
  for (let i = 0; i + n <= secret.length; i++) grams.add(secret.slice(i, i + n));
  const hidden = new Uint8Array(text.length);
  let any = false;
  for (let i = 0; i + n <= text.length; i++) {
    if (grams.has(text.slice(i, i + n))) {
      hidden.fill(1, i, i + n);
      any = true;
    }
  }
  if (!any) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (!hidden[i]) out += text[i];
    else if (i === 0 || !hidden[i - 1]) out += "••••";
  }
  return out;
}

/**
 * The same error with every text in it redacted ({@link redact}): message, hint, the server's
 * words, the partial text; a KitError is rebuilt without its cause (an SDK error carries the
 * request's headers), any other error keeps its type with message and stack redacted.
 */
export function redactError(error: unknown, secrets: (string | undefined)[]): unknown {
  const r = (t: string | undefined) => (t === undefined ? undefined : redact(t, secrets));
  if (error instanceof KitError) {
    return new KitError(r(error.message)!, {
      method: error.method,
      kind: error.kind,
      status: error.status,
      retryable: error.retryable,
      hint: r(error.hint),
      serverMessage: r(error.serverMessage),
      retryAfterS: error.retryAfterS,
      rateLimits: error.rateLimits,
      availableModels: error.availableModels,
      partialText: r(error.partialText),
    });
  }
  if (error instanceof Error) {
    error.message = redact(error.message, secrets);
    if (error.stack) error.stack = redact(error.stack, secrets);
    error.cause = undefined;
  }
  return error;
}

/** What the mapper knows about the call. */
export interface ErrorContext {
  /** The key in use (only to redact it; the message shows at most its masked form). */
  apiKey?: string;
  baseURL: string;
  model?: string;
  /** Text received so far (for a stream cut mid-way). */
  partialText?: string;
  /** Tokens received so far. */
  partialTokens?: number;
  /** The call's time limit, for the timeout message. */
  timeoutMs?: number;
  /** Retries already made before giving up. */
  retriesMade?: number;
}

const KEY_URL = SECRET_VARS.GROQ_API_KEY;
const LIMITS_URL = "https://console.groq.com/settings/limits";
const STATUS_URL = "https://groqstatus.com";
const DEPRECATIONS_URL = "https://console.groq.com/docs/deprecations";

/** The message for a missing key: where to get one and where to put it. */
export function missingKeyMessage(envFile?: { path: string; found: boolean }): string {
  const where = envFile && !envFile.found
    ? `No hay archivo .env (se buscó en ${envFile.path}). `
    : "";
  return where + "Falta la clave de Groq (GROQ_API_KEY). Consíguela gratis en " + KEY_URL +
    " (inicia sesión → «Create API Key»; empieza por gsk_). Después:\n" +
    "  • en tu ordenador: copia .env.example a .env en la raíz del kit y escribe " +
    "GROQ_API_KEY=gsk_… (el archivo .env no se sube a git);\n" +
    "  • en Colab: icono de la llave (Secretos) → «Añadir secreto» con el nombre GROQ_API_KEY " +
    "y activa «Acceso del cuaderno»;\n" +
    "  • o en la terminal: export GROQ_API_KEY=gsk_… antes de abrir Jupyter.\n" +
    "Reinicia el kernel para que se lea. Sin clave, el cuaderno usa el servidor local del kit " +
    "(modo offline).";
}

/** The message for a model Groq does not serve (retired, misspelt, or not for this key). */
export function modelUnavailableMessage(
  model: string,
  available: string[] | undefined,
  reason: "decommissioned" | "not-found" | "not-listed",
  serverText?: string,
): string {
  const why = reason === "decommissioned"
    ? `Groq retiró el modelo «${model}» (400 model_decommissioned)`
    : reason === "not-found"
    ? `Groq no encuentra el modelo «${model}» (404 model_not_found): está retirado, mal escrito o tu clave no tiene acceso`
    : `El modelo «${model}» no está en la lista de modelos de tu cuenta de Groq: está retirado o mal escrito`;
  const list = available?.length
    ? `Modelos disponibles ahora: ${available.join(", ")}.`
    : "No se pudo obtener la lista de modelos disponibles.";
  return `${why}${serverText ? ` («${serverText}»)` : ""}. ${list} ` +
    "Pon uno de ellos en GROQ_MODEL (archivo .env) o deja GROQ_MODEL vacío para que el kit " +
    `elija uno de la lista. Groq retira modelos a menudo: ${DEPRECATIONS_URL}`;
}

interface SdkLikeError {
  status?: number;
  headers?: HeaderLike;
  error?: unknown;
  message?: string;
  name?: string;
  cause?: unknown;
}

function errorBody(e: SdkLikeError): { message?: string; type?: string; code?: string } {
  const body = e.error as Record<string, unknown> | undefined;
  if (!body || typeof body !== "object") return {};
  const inner = (typeof body.error === "object" && body.error ? body.error : body) as Record<
    string,
    unknown
  >;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return { message: str(inner.message), type: str(inner.type), code: str(inner.code) };
}

/** Groq's "try again in 5.3s" / "try again in 1m2.5s" from a 429 message, in seconds. */
function tryAgainIn(message: string | undefined): number | undefined {
  const m = /try again in ((?:\d+(?:\.\d+)?(?:h|ms|m|s))+)/i.exec(message ?? "");
  if (!m) return undefined;
  let total = 0;
  for (const part of m[1].matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    total += Number(part[1]) * ({ h: 3600, m: 60, s: 1, ms: 0.001 } as Record<string, number>)[
      part[2]
    ];
  }
  return total;
}

function isTimeoutError(error: unknown, e: SdkLikeError): boolean {
  if (error instanceof APIConnectionTimeoutError) return true;
  const text = `${e.name ?? ""} ${e.message ?? ""} ${String(e.cause ?? "")}`;
  return e.name === "TimeoutError" || /timed? ?out/i.test(text);
}

/**
 * Maps anything thrown while talking to Groq (groq-sdk's APIError family, fetch errors, a
 * cut stream) to a {@link KitError}. The SDK error is not kept as `cause`: only the
 * status, Groq's error code, its message (redacted) and the rate-limit headers are read.
 */
export function toGroqError(error: unknown, ctx: ErrorContext): KitError {
  if (error instanceof KitError) return error;
  const e =
    (typeof error === "object" && error !== null
      ? error
      : { message: String(error) }) as SdkLikeError;
  const status = typeof e.status === "number" ? e.status : undefined;
  const body = errorBody(e);
  const serverText = body.message ? redact(body.message, [ctx.apiKey]).slice(0, 300) : undefined;
  const limits = parseRateLimits(e.headers) ?? undefined;
  const quoted = serverText ? ` («${serverText}»)` : "";
  const partial = ctx.partialText !== undefined
    ? { partialText: redact(ctx.partialText, [ctx.apiKey]) }
    : {};
  const retried = ctx.retriesMade
    ? ` Se reintentó ${ctx.retriesMade} ${ctx.retriesMade === 1 ? "vez" : "veces"}.`
    : "";

  if (status === 401) {
    const masked = ctx.apiKey ? ` (${maskSecret(ctx.apiKey)})` : "";
    return groqError(
      "auth",
      `Groq rechazó la clave GROQ_API_KEY${masked}: 401, no autorizada${quoted}. ` +
        "Está mal copiada, caducó o fue revocada. Crea una nueva en " + KEY_URL +
        ", cámbiala en .env (o en los Secretos de Colab) y reinicia el kernel.",
      { status, rateLimits: limits },
    );
  }
  if (status === 403) {
    return groqError(
      "forbidden",
      `Groq no permite esta petición (403)${quoted}. Tu organización o tu clave no tienen ` +
        "permiso para este modelo o esta función; revisa la consola de Groq " +
        "(https://console.groq.com) o usa otro modelo.",
      { status, rateLimits: limits },
    );
  }
  if (status === 429) {
    const retryAfterS = limits?.retryAfterS ?? tryAgainIn(body.message);
    const kind = body.type === "tokens"
      ? "de tokens por minuto"
      : body.type === "requests"
      ? "de peticiones"
      : "de uso";
    const wait = retryAfterS !== undefined
      ? `Espera ${formatSeconds(retryAfterS)} (lo pide la cabecera retry-after) y repite.`
      : "Espera un minuto y repite.";
    return groqError(
      "rate-limit",
      `Groq: límite ${kind} alcanzado (429)${quoted}. ${wait}${retried} ` +
        `Lo que queda: ${describeRateLimits(limits)}. El plan gratuito limita peticiones por ` +
        `minuto y por día y tokens por minuto; tus límites: ${LIMITS_URL}`,
      { status, retryAfterS, rateLimits: limits },
    );
  }
  if (
    (status === 404 && (body.code === "model_not_found" || /model/i.test(body.message ?? ""))) ||
    (status === 400 && body.code === "model_decommissioned")
  ) {
    return groqError(
      "model-unavailable",
      modelUnavailableMessage(
        ctx.model ?? "?",
        undefined,
        status === 400 ? "decommissioned" : "not-found",
        serverText,
      ),
      { status },
    );
  }
  // 498: Groq's flex tier has no capacity now; like a 5xx, it passes.
  if (status !== undefined && (status >= 500 || status === 498)) {
    return groqError(
      "server",
      `Groq tuvo un error en su lado (${status})${quoted}: no es un fallo de tu código.${retried} ` +
        `Espera un minuto y repite; el estado del servicio está en ${STATUS_URL}.`,
      { status, rateLimits: limits },
    );
  }
  if (status !== undefined) {
    return groqError(
      "bad-request",
      `Groq no aceptó la petición (${status})${quoted}. Revisa los parámetros (modelo, ` +
        "mensajes, max_tokens).",
      { status, rateLimits: limits },
    );
  }
  if (error instanceof APIError && !(error instanceof APIConnectionError) && body.message) {
    // An error sent inside a stream (no HTTP status).
    return groqError(
      "server",
      `Groq interrumpió la respuesta con un error${quoted}. Repite la petición; si sigue ` +
        `pasando, consulta ${STATUS_URL}.`,
      partial,
    );
  }
  if (ctx.partialText !== undefined) {
    return groqError(
      "stream-cut",
      `La conexión con ${ctx.baseURL} se cortó a mitad de la respuesta (llegaron ` +
        `${ctx.partialTokens ?? 0} tokens). El texto parcial está en error.partialText. ` +
        "Comprueba la red y repite la petición.",
      partial,
    );
  }
  if (isTimeoutError(error, e)) {
    const limit = ctx.timeoutMs ? ` en ${formatSeconds(ctx.timeoutMs / 1000)}` : "";
    return groqError(
      "timeout",
      `${ctx.baseURL} no respondió${limit} (tiempo límite agotado).${retried} La red va lenta ` +
        "o el servicio está saturado: repite más tarde o da más tiempo con { timeoutMs }.",
    );
  }
  return groqError(
    "network",
    `No se pudo conectar con ${ctx.baseURL}.${retried} ¿Hay conexión a internet? Comprueba la ` +
      "red (wifi, proxy, cortafuegos). Sin red, usa el modo offline: KIT_OFFLINE=1 y el " +
      "servidor local del kit.",
  );
}
