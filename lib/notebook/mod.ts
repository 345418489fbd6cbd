/**
 * Notebooks as data: one set of nbformat types and cell helpers, used by the runner, the checks,
 * the Colab generator and the grader.
 *
 * @module
 */
export * from "./nbformat.ts";
