/**
 * The forge: makes Llama-architecture models offline (HF folder layout, ONNX fp32/fp16/q8/q4,
 * safetensors, tokenizer) that transformers.js loads with `env.allowRemoteModels = false`.
 *
 * @example
 * ```ts
 * import { ensureModel } from "./lib/forge/mod.ts";
 * const dir = await ensureModel("tiny");
 * ```
 *
 * @module
 */
export {
  type ForgeDtype,
  getPreset,
  type LlamaShape,
  type Preset,
  PRESETS,
  validateShape,
} from "./presets.ts";
export {
  buildGraph,
  buildModel,
  type BuildOptions,
  type BuildReport,
  DEFAULT_GRAPH,
  type GraphKind,
  ONNX_FILES,
  q4AccuracyLevel,
  STAMP_FILE,
} from "./build.ts";
export { FUSED_Q4_ACCURACY } from "./fused_graph.ts";
export { defaultModelDir, ensureModel, type EnsureOptions, forgeContentHash } from "./ensure.ts";
export { ForgeError } from "./errors.ts";
export { CORPUS_PATH, loadCorpus, splitParagraphs } from "./corpus.ts";
export { llamaTensors } from "./tensors.ts";
export { measureRss, type RssReport } from "./rss.ts";
