/** The secrets the kit reads, and how to show them without showing them. */

/** Environment variables holding secrets, with where a student gets each. */
export const SECRET_VARS: Record<string, string> = {
  GROQ_API_KEY: "https://console.groq.com/keys",
  HF_TOKEN: "https://huggingface.co/settings/tokens",
};

const KNOWN_PREFIXES = /^(gsk_|hf_|sk-)/;

/**
 * Masks a secret: only a vendor's public prefix (gsk_, hf_, sk-) survives, then dots and
 * the length. Nothing of the secret part is shown.
 *
 * @example
 * ```ts
 * maskSecret("gsk_abcdef0123456789"); // "gsk_•••• (20 caracteres)"
 * ```
 */
export function maskSecret(value: string): string {
  const prefix = KNOWN_PREFIXES.exec(value)?.[0] ?? "";
  return `${prefix}•••• (${value.length} caracteres)`;
}

/** One row per known secret: whether it is set (read with `read`), masked. */
export function secretRows(
  read: (variable: string) => string | undefined,
): { variable: string; status: string; getItAt: string }[] {
  return Object.entries(SECRET_VARS).map(([variable, url]) => {
    const value = read(variable);
    return {
      variable,
      status: value ? `definida: ${maskSecret(value)}` : "no definida",
      getItAt: url,
    };
  });
}

/** Patterns of real API keys and tokens (Groq, Hugging Face, OpenAI-style). */
export const SECRET_PATTERNS: RegExp[] = [
  /gsk_[A-Za-z0-9]{20,}/,
  /hf_[A-Za-z0-9]{30,}/,
  /sk-[A-Za-z0-9_-]{20,}/,
];

/**
 * Returns the secret-looking strings in a text (for checks of notebooks, logs, outputs).
 *
 * @example
 * ```ts
 * findSecrets("key=gsk_" + "a".repeat(40)).length; // 1
 * ```
 */
export function findSecrets(text: string): string[] {
  return SECRET_PATTERNS.flatMap((p) => text.match(new RegExp(p.source, "g")) ?? []);
}
