/**
 * The generator behind the kit's offline servers (Ollama and Groq protocols): the method-2
 * backend on the forge's `tiny` model, loaded once per dtype and shared.
 *
 * @module
 */
import type { Dtype } from "../../measure/memory.ts";
import { createOptimizedBackend } from "./backend.ts";
import type { TransformersBackend } from "../hf/hf_backend.ts";

const loaded = new Map<Dtype, Promise<TransformersBackend>>();

/**
 * The offline generator: `tiny` (built on first use) in `dtype` (default fp32), on CPU.
 * Its stream yields one piece per token; greedy output follows the corpus's bigram chain.
 *
 * @example
 * ```ts
 * const backend = await localBackend();
 * const { text } = await backend.generate("La memoria", { maxTokens: 10 });
 * ```
 */
export function localBackend(opts: { dtype?: Dtype } = {}): Promise<TransformersBackend> {
  const dtype = opts.dtype ?? "fp32";
  let backend = loaded.get(dtype);
  if (!backend) {
    backend = createOptimizedBackend({ model: "tiny", dtype, device: "cpu" });
    backend.catch(() => loaded.delete(dtype));
    loaded.set(dtype, backend);
  }
  return backend;
}
