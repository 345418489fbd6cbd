/** Internal: transformers.js set-up shared by the pipeline and optimized backends. */
import { env } from "@huggingface/transformers";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR } from "../../core/paths.ts";
import { progressBar } from "../../show/mod.ts";
import type { Dtype } from "../../measure/memory.ts";
import type { ResolvedModel } from "./catalogue.ts";

/** ONNX file transformers.js loads for each dtype. */
export const DTYPE_FILES: Record<Dtype, string> = {
  fp32: "model.onnx",
  fp16: "model_fp16.onnx",
  q8: "model_quantized.onnx",
  q4: "model_q4.onnx",
  q4f16: "model_q4f16.onnx",
};

/** Points transformers.js at the project's caches and at the model's folder. */
export function configureTransformers(model: ResolvedModel): void {
  env.cacheDir = join(CACHE_DIR, "hf");
  env.allowLocalModels = true;
  if (model.localModelPath) env.localModelPath = model.localModelPath + "/";
  env.allowRemoteModels = model.localModelPath === null;
}

/** Dtypes whose ONNX file exists in a local model folder. */
export function localDtypes(dir: string): Dtype[] {
  const files = existsSync(join(dir, "onnx")) ? readdirSync(join(dir, "onnx")) : [];
  return (Object.keys(DTYPE_FILES) as Dtype[]).filter((d) => files.includes(DTYPE_FILES[d]));
}

/** Download progress from transformers.js's progress_callback, as one bar in the cell. */
export function downloadProgress(label: string): (info: Record<string, unknown>) => void {
  let bar: ReturnType<typeof progressBar> | null = null;
  return (info) => {
    if (info.status !== "progress_total") return;
    const loaded = Number(info.loaded ?? 0);
    const total = Number(info.total ?? 0);
    bar ??= progressBar(`Descargando ${label}`, total);
    const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
    bar.update(loaded, total, `${mb(loaded)} de ${mb(total)}`);
    if (total > 0 && loaded >= total) bar.finish("descargado");
  };
}
