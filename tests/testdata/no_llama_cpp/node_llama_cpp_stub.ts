/**
 * Stands in for node-llama-cpp on a platform it has no binary for (tests/ollama_fallback_test.ts
 * maps the package here): loading fails as the real package does there.
 */
export const LlamaLogLevel = { error: "error", warn: "warn" };
export function getLlama(): Promise<never> {
  return Promise.reject(new Error("No prebuilt binary for this platform (simulated by the test)"));
}
