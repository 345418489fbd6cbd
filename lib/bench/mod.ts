/**
 * Maintainer benchmarks (not used by the notebooks): `deno task bench` on the CPU (bandwidth
 * roofline, the kit's overhead over a raw onnxruntime loop, 7B q4/q8, scaling, session options)
 * and `deno task bench-gpu` on a GPU machine (webgpu vs cpu vs Python transformers), with the
 * shell and Python helpers for the GPU machine beside them. Each configuration runs in a fresh
 * process; figures are printed and written as JSON, never asserted in tests.
 *
 * @module
 */
export * from "./flags.ts";
export * from "./report.ts";
export { NEW_TOKENS, PROMPT, type SuiteOptions } from "./suite_common.ts";
export * from "./roofline_suite.ts";
export * from "./overhead_suite.ts";
export * from "./seven_b_suite.ts";
export * from "./scaling_suite.ts";
export * from "./tuning_suite.ts";
export * from "./gpu.ts";
export * from "./gpu_levers.ts";
export * from "./stats.ts";
export * from "./run.ts";
export * from "./gpu_plan.ts";
export * from "./gpu_child.ts";
export * from "./gpu_reference.ts";
export * from "./gpu_summary.ts";
export * from "./gpu_levers_suite.ts";
export * from "./graphs_suite.ts";
export * from "./ort_profile.ts";
export * from "./reference_run.ts";
export * from "./llama_cpp_suite.ts";
export * from "./llama_cpp_report.ts";
