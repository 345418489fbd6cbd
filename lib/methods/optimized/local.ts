/**
 * The generator behind the kit's offline servers (Ollama and Groq protocols): the method-2
 * backend on the catalogue's offline model (kit-es), loaded once per model and dtype and shared.
 *
 * @module
 */
import type { Dtype } from "../../measure/memory.ts";
import { createOptimizedBackend } from "./backend.ts";
import type { TransformersBackend } from "../hf/hf_backend.ts";
import { loadCatalogue } from "../hf/catalogue.ts";

const loaded = new Map<string, Promise<TransformersBackend>>();

/**
 * The offline generator: `model` (default the catalogue's offline model, kit-es; built from
 * its committed weights on first use) in `dtype` (default fp32), on CPU. Its stream yields one
 * piece per token. `tiny` (exact bigram output) stays available for tests.
 *
 * @example
 * ```ts
 * const backend = await localBackend();
 * const { text } = await backend.generate("La memoria", { maxTokens: 10 });
 * ```
 */
export function localBackend(
  opts: { dtype?: Dtype; model?: string } = {},
): Promise<TransformersBackend> {
  const dtype = opts.dtype ?? "fp32";
  const model = opts.model ?? loadCatalogue().defaults.offline;
  const key = `${model}/${dtype}`;
  let backend = loaded.get(key);
  if (!backend) {
    backend = createOptimizedBackend({ model, dtype, device: "cpu" });
    backend.catch(() => loaded.delete(key));
    loaded.set(key, backend);
  }
  return backend;
}
