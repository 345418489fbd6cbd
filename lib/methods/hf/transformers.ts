/** Internal: transformers.js set-up shared by the pipeline and optimized backends. */
import { env } from "@huggingface/transformers";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR } from "../../core/paths.ts";
import { kitConfig } from "../../core/config.ts";
import { progressBar } from "../../show/mod.ts";
import type { Dtype } from "../../measure/memory.ts";
import type { ResolvedModel } from "./catalogue.ts";
import { idleTimeoutFetch, type IdleTimeoutOptions } from "./download_idle.ts";

/** ONNX file transformers.js loads for each dtype. */
export const DTYPE_FILES: Record<Dtype, string> = {
  fp32: "model.onnx",
  fp16: "model_fp16.onnx",
  q8: "model_quantized.onnx",
  q4: "model_q4.onnx",
  q4f16: "model_q4f16.onnx",
};

/** Where hub models are cached: `<HF_CACHE_DIR>/<org>/<name>/<file>`, as transformers.js's file cache keeps them. */
export const HF_CACHE_DIR: string = join(CACHE_DIR, "hf");

/**
 * A fetch for transformers.js that sends the HF token (given by the caller, from kitConfig) to
 * the configured hub, mirrors included: transformers.js on its own sends a token only to
 * huggingface.co. Every request has an idle limit ({@link idleTimeoutFetch}: a download that
 * stalls fails with a Spanish KitError instead of hanging); `idle` sets it (tests use a short one).
 */
export function hubFetch(
  endpoint: string,
  token: string | undefined,
  idle: IdleTimeoutOptions = {},
): typeof fetch {
  return idleTimeoutFetch(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers = new Headers(init?.headers);
    const ours = url.startsWith(endpoint + "/");
    if (token && ours) headers.set("Authorization", `Bearer ${token}`);
    const res = await fetch(input, { ...init, headers });
    const repo = ours ? /^\/([^/]+\/[^/]+)\/resolve\//.exec(url.slice(endpoint.length)) : null;
    if (repo) hubErrorCodes.set(repo[1], res.ok ? null : res.headers.get("x-error-code"));
    return res;
  }, idle);
}

const hubErrorCodes = new Map<string, string | null>();

/**
 * The hub's `X-Error-Code` of the last failed file request for repo `id` through
 * {@link hubFetch} ("GatedRepo", "RepoNotFound", "EntryNotFound" …), or null. The hub answers
 * 401 both for a gated repo and, without a token, for one that does not exist: only this header
 * tells them apart.
 */
export function hubErrorCode(id: string): string | null {
  return hubErrorCodes.get(id) ?? null;
}

/**
 * Points transformers.js at the project's caches, at the hub (HF_ENDPOINT, the convention of
 * huggingface_hub; transformers.js needs it as `env.remoteHost`) and at the model's folder.
 * Hub files land in {@link HF_CACHE_DIR}: under Deno transformers.js would otherwise use its
 * browser cache (Deno's web cache) and ignore `env.cacheDir`. `method` (1 or 2) is named in the
 * error of a download that stalls.
 */
export function configureTransformers(model: ResolvedModel, method: 1 | 2 | null = null): void {
  const { hf } = kitConfig();
  env.cacheDir = HF_CACHE_DIR;
  env.useBrowserCache = false;
  env.useFSCache = true;
  env.remoteHost = hf.endpoint + "/";
  env.fetch = hubFetch(hf.endpoint, hf.token, { method });
  env.allowLocalModels = true;
  if (model.localModelPath) env.localModelPath = model.localModelPath + "/";
  env.allowRemoteModels = model.localModelPath === null;
}

/** Dtypes whose ONNX file exists in a local model folder. */
export function localDtypes(dir: string): Dtype[] {
  const files = existsSync(join(dir, "onnx")) ? readdirSync(join(dir, "onnx")) : [];
  return (Object.keys(DTYPE_FILES) as Dtype[]).filter((d) => files.includes(DTYPE_FILES[d]));
}

/**
 * Download progress from transformers.js's progress_callback, as one bar in the cell, for the
 * files that are really downloaded: a file already in {@link HF_CACHE_DIR} when transformers.js
 * starts on it (its "initiate" event) is read from the cache and shows no bar (transformers.js
 * reports reading it as "progress" all the same).
 */
export function downloadProgress(label: string): (info: Record<string, unknown>) => void {
  let bar: ReturnType<typeof progressBar> | null = null;
  const cached = new Set<string>();
  const files = new Map<string, { loaded: number; total: number }>();
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  return (info) => {
    const file = String(info.file ?? "");
    if (info.status === "initiate") {
      if (existsSync(join(HF_CACHE_DIR, String(info.name ?? ""), file))) cached.add(file);
      return;
    }
    if (info.status !== "progress" || cached.has(file)) return;
    files.set(file, { loaded: Number(info.loaded ?? 0), total: Number(info.total ?? 0) });
    let loaded = 0;
    let total = 0;
    for (const f of files.values()) {
      loaded += f.loaded;
      total += f.total;
    }
    bar ??= progressBar(`Descargando ${label}`, total);
    bar.update(loaded, total, `${mb(loaded)} de ${mb(total)}`);
    if (total > 0 && loaded >= total) bar.finish("descargado");
  };
}
