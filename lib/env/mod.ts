/**
 * The environment: paths, `.env` loading, secrets (masked), this machine's hardware, and
 * which methods can run online here.
 *
 * @module
 */
export { CACHE_DIR, JUPYTER_DIR, OUT_DIR, ROOT } from "./paths.ts";
export { type EnvLoad, loadEnv, malformedEnvLines } from "./load_env.ts";
export { findSecrets, maskSecret, SECRET_PATTERNS, SECRET_VARS, secretStatus } from "./secrets.ts";
export {
  availableMemoryBytes,
  formatGB,
  type GpuInfo,
  type MachineInfo,
  machineInfo,
  machineRows,
  nvidiaGpus,
  parseNvidiaSmi,
} from "./machine.ts";
export {
  forcedOffline,
  type MethodMode,
  methodModes,
  OLLAMA_DEFAULT_HOST,
  ollamaHost,
  reachable,
} from "./services.ts";
