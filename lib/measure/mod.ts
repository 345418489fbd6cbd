/**
 * Measuring: the session's memory arithmetic (weights per dtype, KV cache, activations, "will
 * it fit?"), resident memory of a process, the comparison of the four methods (repetitions,
 * medians, spread) and the recommendations drawn from it, and result rows for tables.
 *
 * @module
 */
export * from "./memory.ts";
export * from "./rss.ts";
export * from "./compare.ts";
export * from "./recommend.ts";
export * from "./summary.ts";
export * from "./provenance.ts";
export * from "./reference.ts";
export * from "./ledger.ts";
export * from "./outliers.ts";
export * from "./stats.ts";
