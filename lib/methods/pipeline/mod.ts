/**
 * Method 1, the Hugging Face pipeline: transformers.js pipeline('text-generation', id) with the
 * library's defaults.
 *
 * @module
 */
export * from "./backend.ts";
