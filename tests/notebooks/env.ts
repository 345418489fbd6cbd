/** The environment notebooks run under in tests: offline, no .env, a fake (masked) key. */

/** A syntactically plausible, fake Groq key: it must never appear in any output. */
export const FAKE_GROQ_KEY = "gsk_" + "FAKEtestKEY0123456789abcdefXYZ".repeat(2);

/** Environment for executing notebooks in tests. */
export const NOTEBOOK_TEST_ENV: Record<string, string> = {
  KIT_OFFLINE: "1",
  KIT_ENV_FILE: "/nonexistent/.env",
  GROQ_API_KEY: FAKE_GROQ_KEY,
  HF_TOKEN: "",
};
