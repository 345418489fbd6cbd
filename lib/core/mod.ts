/**
 * The kit's core: what every other folder builds on and nothing else in lib/ is imported here.
 * The one {@link Backend} interface and its result types, the shapes and dtypes, the one
 * measured stream every method's timings come from, the one error type ({@link KitError}),
 * the one configuration ({@link kitConfig}: every environment variable and `.env` read here),
 * the project's paths, secret masking, and child-process helpers.
 *
 * @example
 * ```ts
 * import { kitConfig, KitError, type Backend } from "../lib/core/mod.ts";
 * ```
 *
 * @module
 */
export * from "./types.ts";
export { measureStream, type Piece, type Source, type SourceEnd, timingsFrom } from "./stream.ts";
export { KitError, type KitErrorInit, type KitErrorKind } from "./errors.ts";
export {
  checkContext,
  type ContextLimit,
  guardBackend,
  MAX_TOKENS_LIMIT,
  validateRequest,
} from "./guard.ts";
export {
  childEnv,
  type EnvLoad,
  type EnvProblem,
  envProblems,
  GROQ_DEFAULT_BASE_URL,
  HF_DEFAULT_ENDPOINT,
  isYes,
  type KitConfig,
  kitConfig,
  loadedFromEnvFile,
  loadEnv,
  malformedEnvLines,
  OLLAMA_DEFAULT_HOST,
  parseOllamaHost,
  secretStatus,
  secretValue,
} from "./config.ts";
export { CACHE_DIR, JUPYTER_DIR, OUT_DIR, ROOT, SYSTEM_PYTHON } from "./paths.ts";
export { findSecrets, maskSecret, SECRET_PATTERNS, SECRET_VARS } from "./secrets.ts";
export {
  exitWhenStdinCloses,
  freePort,
  type FreshOptions,
  FreshProcessError,
  runFresh,
  spawnServer,
  type StandIn,
} from "./process.ts";
export { probe, reachable } from "./net.ts";
