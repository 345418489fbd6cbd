/**
 * How method 4 runs here: online (the real Groq API, or whatever GROQ_BASE_URL names) or
 * offline (the kit's Groq-protocol stand-in). The one rule notebooks 00 and 04 and the demo use.
 *
 * @module
 */
import { kitConfig, type MethodMode, probe } from "../../core/mod.ts";
import { OFFLINE_HEADER } from "./wire.ts";

/** Method 4's mode, with the base URL the decision was made for. */
export interface GroqMode extends MethodMode {
  baseURL: string;
}

/**
 * Decides online or offline for Groq: KIT_OFFLINE=1, no GROQ_API_KEY, a GROQ_BASE_URL that is
 * not an http(s) URL, a base URL that does not answer, or one that is the kit's own stand-in
 * (its `X-Kit-Offline` header) → offline; otherwise online. The key is never sent by the probe.
 *
 * @example
 * ```ts
 * (await groqMode()).reason; // "sin GROQ_API_KEY: …"
 * ```
 */
export async function groqMode(): Promise<GroqMode> {
  const { offline, groq } = kitConfig();
  const base = { method: 4 as const, name: "Groq", baseURL: groq.baseURL };
  const off = (reason: string): GroqMode => ({ ...base, mode: "offline", reason });
  if (offline) {
    return off(
      "KIT_OFFLINE=1: modo sin conexión pedido; no se contacta con Groq (la clave, si la hay, no se usa)",
    );
  }
  if (!groq.apiKey) {
    return off(
      "sin GROQ_API_KEY: consíguela en https://console.groq.com/keys y ponla en .env (o en los " +
        "Secretos de Colab) para usar Groq de verdad",
    );
  }
  if (!validHttpUrl(groq.baseURL)) {
    return off(
      `GROQ_BASE_URL="${groq.baseURL}" no es una URL http(s) válida: corrígela en .env o bórrala ` +
        "(por defecto https://api.groq.com)",
    );
  }
  const res = await probe(`${groq.baseURL}/openai/v1/models`, 3000, 0);
  if (!res) return off(`${groq.baseURL} no responde (¿sin conexión?): servidor local del kit`);
  if (res.headers.get(OFFLINE_HEADER) === "1") {
    return off(`${groq.baseURL} es el servidor local del kit, no Groq`);
  }
  return { ...base, mode: "online", reason: `GROQ_API_KEY definida y ${groq.baseURL} responde` };
}

/** True for an absolute http(s) URL with a host. */
export function validHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}
