/**
 * Method 1 — the Hugging Face pipeline: `pipeline('text-generation', model)` with the
 * library's defaults, the "three lines" method. Tokens reach the cell through the
 * streamer callback.
 *
 * @module
 */
import { pipeline } from "@huggingface/transformers";
import { resolveModel } from "../hf/catalogue.ts";
import { configureTransformers, downloadProgress } from "../hf/transformers.ts";
import {
  generationSettings,
  makeTransformersBackend,
  promptTokenCounter,
  type TransformersBackend,
} from "../hf/hf_backend.ts";
import { defaultModel } from "../optimized/backend.ts";
import { hubLoadError } from "../hf/hub_errors.ts";
import { downloadModelFiles } from "../hf/hub_download.ts";
import type { Dtype } from "../../measure/memory.ts";
import { loadRepairing } from "../hf/repair.ts";

/**
 * Chooses the model (the given one, or the online default when the hub is reachable, else
 * the offline `kit-es`, built on first use), points transformers.js at it and, for a hub model,
 * downloads the files the pipeline will load (for `dtype`, default the library's choice) with a
 * progress bar, only those not cached yet. Returns the id to pass to `pipeline(...)`: after
 * this, the library's own three lines work unchanged and read the model from the cache.
 *
 * @example
 * ```ts
 * const id = await prepareModel();
 * const generator = await pipeline("text-generation", id);
 * ```
 */
export async function prepareModel(name?: string, opts: { dtype?: Dtype } = {}): Promise<string> {
  const resolved = await resolveModel(name ?? (await defaultModel()));
  configureTransformers(resolved, 1);
  await downloadModelFiles(resolved, { dtype: opts.dtype, method: 1 });
  return resolved.id;
}

/**
 * Creates the pipeline for a model (default: the online default when the hub is reachable,
 * else the offline `tiny`) and returns its backend. No dtype, device or session options:
 * whatever the library picks (reported back as `dtype` and `device`).
 *
 * @example
 * ```ts
 * const backend = await createPipelineBackend();
 * const { text } = await backend.generate("¿Qué es la caché KV?", { maxTokens: 30 });
 * ```
 */
export async function createPipelineBackend(
  opts: { model?: string } = {},
): Promise<TransformersBackend> {
  const resolved = await resolveModel(opts.model ?? (await defaultModel()));
  configureTransformers(resolved, 1);
  const started = performance.now();
  let generator;
  try {
    generator = await loadRepairing(resolved, () =>
      pipeline("text-generation", resolved.id, {
        progress_callback: resolved.mode === "online" ? downloadProgress(resolved.id) : undefined,
      }));
  } catch (error) {
    throw hubLoadError(error, resolved.id, 1, resolved.entry);
  }
  const loadMs = performance.now() - started;
  // deno-lint-ignore no-explicit-any
  const contextLength = (generator.model as any).config?.max_position_embeddings ?? 0;
  // deno-lint-ignore no-explicit-any
  const session = (generator.model as any).sessions?.model?.config ?? {};
  return makeTransformersBackend({
    name: "Pipeline",
    method: 1,
    mode: resolved.mode,
    model: resolved.id,
    dtype: session.dtype ?? "?",
    device: session.device ?? "?",
    loadMs,
    // deno-lint-ignore no-explicit-any
    decoder: generator.tokenizer as any,
    contextLength,
    // deno-lint-ignore no-explicit-any
    countTokens: promptTokenCounter(generator.tokenizer as any, contextLength),
    run: (prompt, genOpts, streamer, stop) =>
      // deno-lint-ignore no-explicit-any
      (generator as any)(prompt, {
        ...generationSettings(genOpts),
        streamer,
        stopping_criteria: [stop],
      }),
    dispose: () => generator.dispose(),
  });
}
