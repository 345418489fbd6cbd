/**
 * Method 3, Ollama: the backend over the ollama npm client and the REST API (NDJSON), the wire
 * types, the one online/offline rule and the Colab-style scripts, and standin/: the kit's
 * offline Ollama-protocol server, its process and its ollama CLI.
 *
 * @module
 */
export * from "./backend.ts";
export * from "./wire.ts";
export * from "./mode.ts";
export * from "./standin/process.ts";
export * from "./standin/server.ts";
export * from "./standin/gguf_model.ts";
export * from "./standin/llama_cpp.ts";
export * from "./standin/llama_cpp_backend.ts";
