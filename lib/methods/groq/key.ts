/**
 * The Groq key: where the kit found it (never the key itself in any message).
 *
 * @module
 */
import { kitConfig, loadedFromEnvFile } from "../../core/config.ts";
import { maskSecret } from "../../core/secrets.ts";

/** Where the key came from (for the student; never the key itself). */
export type KeySource = "opción apiKey" | "entorno" | ".env" | "secretos de Colab";

/** The key, where it came from, and its masked form. */
export interface GroqKey {
  value: string;
  source: KeySource;
  /** e.g. "gsk_•••• (56 caracteres)". */
  masked: string;
}

/**
 * Finds the Groq key in the kit's configuration (the environment — on Colab, where the kit's
 * bridge copies the GROQ_API_KEY secret — else `.env`). Null when there is none.
 *
 * @example
 * ```ts
 * const key = findGroqKey();
 * key?.masked; // "gsk_•••• (56 caracteres)"
 * ```
 */
export function findGroqKey(): GroqKey | null {
  const { groq, colab } = kitConfig();
  if (!groq.apiKey) return null;
  const fromEnvFile = loadedFromEnvFile("GROQ_API_KEY");
  const source: KeySource = fromEnvFile ? ".env" : colab ? "secretos de Colab" : "entorno";
  return { value: groq.apiKey, source, masked: maskSecret(groq.apiKey) };
}
