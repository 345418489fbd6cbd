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
  KIT_ES_NOTE,
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
  removeStalePartials,
  STAMP_FILE,
} from "./build.ts";
export { FUSED_Q4_ACCURACY } from "./fused_graph.ts";
export {
  damagedFiles,
  defaultModelDir,
  ensureModel,
  type EnsureOptions,
  forgeContentHash,
} from "./ensure.ts";
export { ForgeError } from "./errors.ts";
export { CORPUS_PATH, loadCorpus, splitParagraphs } from "./corpus.ts";
export { llamaTensors } from "./tensors.ts";
export { measureRss, type RssReport } from "./rss.ts";
export {
  KIT_ES_DIR,
  type KitEsCorpus,
  loadKitEsCorpus,
  normalizeQuestion,
  type QaGroup,
  splitKitEs,
  splitManifest,
  validationQuestions,
  type ValQuestion,
} from "./kit_es_corpus.ts";
export {
  buildDataset,
  type Example,
  KIT_ES_CONTEXT,
  KIT_ES_VOCAB,
  type KitEsDataset,
  loadChatTokenizer,
  valSequences,
  writeKitEsTokenizer,
} from "./kit_es_data.ts";
export {
  COURSE_TERMS,
  distinctTrigramRatio,
  type DtypeQuality,
  HUNSPELL_DICT,
  spanishWordRatio,
  unknownSpanishWords,
  words,
} from "./quality.ts";
export { measureQuality, type QualityQuestion } from "./quality_run.ts";
export {
  isOnTopic,
  onTopicRatio,
  OUT_OF_SCOPE_PREFIX,
  type TopicCase,
  topicStems,
} from "./topic.ts";
export { readVerifiedWeights, TRAINED_FILES } from "./trained.ts";
export {
  type KitEsQuality,
  type KitEsQualityOptions,
  measureKitEsQuality,
} from "./kit_es_quality.ts";
export {
  type KitEsActivations,
  kitEsActivations,
  type KitEsInt8,
  kitEsInt8,
  type LinearInputs,
} from "./kit_es_activations.ts";
export {
  buildGguf,
  defaultGgufPath,
  ensureGguf,
  GGUF_DIR,
  ggufIsCurrent,
  type GgufOptions,
  type GgufReport,
} from "./gguf.ts";
export {
  DEFAULT_GGUF_VARIANTS,
  GGUF_FILE_TYPE,
  GGUF_VARIANTS,
  ggufTensorType,
  type GgufVariant,
  ggufVocab,
  llamaGguf,
  permuteForRope,
} from "./gguf_llama.ts";
export { GGML_TYPE, ggmlBytes, type GgufTensor, type GgufValue, writeGguf } from "./gguf_file.ts";
