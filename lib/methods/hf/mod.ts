/**
 * Shared by methods 1 and 2: transformers.js set-up (local models, caches, progress), the model
 * catalogue (data/models.json; forge presets built on first use), the backend built on a
 * transformers.js model, and whether the Hugging Face hub is reachable (their mode).
 *
 * @module
 */
export * from "./transformers.ts";
export * from "./catalogue.ts";
export * from "./hf_backend.ts";
export * from "./mode.ts";
export * from "./hub_errors.ts";
export * from "./hub_download.ts";
export * from "./download_idle.ts";
