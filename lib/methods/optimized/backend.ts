/**
 * Method 2 — "optimized": the same library as the pipeline, with the choices made
 * explicitly: the weights' `dtype` (fp32, fp16, q8, q4), the `device`, onnxruntime session
 * options; the model loaded once and reused, the chat template applied, the KV cache kept
 * between decoding steps (transformers.js `generate` feeds past_key_values back).
 *
 * @module
 */
import { AutoModelForCausalLM, AutoTokenizer } from "@huggingface/transformers";
import { KitError } from "../../core/errors.ts";

const unsupported = (message: string, cause?: unknown) =>
  new KitError(message, { method: 2, kind: "unsupported", cause });
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { availableMemoryBytes } from "../../env/machine.ts";
import { detectWebGpu } from "../../env/gpu.ts";
import { assertFits, type Dtype, type LlamaDims } from "../../measure/memory.ts";
import { loadCatalogue, resolveModel } from "../hf/catalogue.ts";
import { configureTransformers, downloadProgress, localDtypes } from "../hf/transformers.ts";
import {
  generationSettings,
  makeTransformersBackend,
  promptTokenCounter,
  type TransformersBackend,
} from "../hf/hf_backend.ts";
import { hubReachable } from "../hf/mode.ts";
import { hubLoadError } from "../hf/hub_errors.ts";
import { hubDtypes } from "../hf/hub_download.ts";
import { loadRepairing } from "../hf/repair.ts";
import { getPreset } from "../../forge/mod.ts";
import { chooseDevice, type Device, fallbackNotice } from "./device.ts";

/** Options for {@link createOptimizedBackend}. */
export interface OptimizedOptions {
  /** Catalogue id, hub id or model folder (default: the catalogue's online default when the hub is reachable, else the offline one). */
  model?: string;
  /** Weight format (default "q8" when the model has it, else the first it has of q4, fp16, fp32). */
  dtype?: Dtype;
  /** Default "cpu". */
  device?: Device;
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
  /**
   * When the GPU device cannot be used, load on the CPU instead and say so (default false:
   * throw {@link KitError} naming the cause and the fix).
   */
  fallbackToCpu?: boolean;
  /** Where the fallback notice goes (default console.warn). */
  log?: (line: string) => void;
  /**
   * Extra onnxruntime session options, merged over the kit's (benchmarks use it for
   * profiling: `{ enableProfiling: true, profileFilePrefix }`).
   */
  sessionOptions?: Record<string, unknown>;
}

/** The optimized backend: what was asked for, and why it runs elsewhere if it does. */
export interface OptimizedBackend extends TransformersBackend {
  /** The device the caller asked for. */
  readonly requestedDevice: Device;
  /** Why the model runs on the CPU instead of the requested device (null: it does not). */
  readonly fallback: string | null;
}

/**
 * The dtype used when none is asked for: q8 when the model has it (the kit's default), else the
 * first it has of q4, fp16, fp32 (SmolLM2's hub folder, the online default, has no q8).
 *
 * @example
 * ```ts
 * defaultDtype(["fp32", "fp16", "q4"]); // "q4"
 * ```
 */
export function defaultDtype(available: Dtype[] | undefined): Dtype {
  if (!available || available.includes("q8")) return "q8";
  return (["q4", "fp16", "fp32"] as Dtype[]).find((d) => available.includes(d)) ?? "q8";
}

/** The default model for this machine: the online default if the hub answers, else the offline one. */
export async function defaultModel(): Promise<string> {
  const { defaults } = loadCatalogue();
  return (await hubReachable()) ? defaults.online : defaults.offline;
}

/**
 * Loads a model for method 2 and returns its backend.
 *
 * @example
 * ```ts
 * const backend = await createOptimizedBackend({ model: "tiny", dtype: "q4" });
 * const { text, timings } = await backend.generate("La memoria", { maxTokens: 20 });
 * ```
 */
export async function createOptimizedBackend(
  opts: OptimizedOptions = {},
): Promise<OptimizedBackend> {
  const device = opts.device ?? "cpu";
  const fallbackToCpu = opts.fallbackToCpu ?? false;
  const onCpu = async (why: string): Promise<OptimizedBackend> => {
    (opts.log ?? console.warn)(fallbackNotice(why));
    const cpu = await createOptimizedBackend({ ...opts, device: "cpu", fallbackToCpu: false });
    return Object.assign(cpu, { requestedDevice: device, fallback: why });
  };
  const choice = chooseDevice(
    device,
    device === "webgpu" ? await detectWebGpu() : null,
    fallbackToCpu,
  );
  if (choice instanceof KitError) throw choice;
  if (choice.fallback !== null) return onCpu(choice.fallback);
  const name = opts.model ?? (await defaultModel());
  // No dtype asked for: one the model has (the catalogue knows; a folder is looked at below).
  let dtype = opts.dtype ?? defaultDtype(loadCatalogue().models.find((m) => m.id === name)?.dtypes);
  checkBeforeLoading(name, dtype, device, availableMemoryBytes());
  const resolved = await resolveModel(name);
  configureTransformers(resolved, 2);
  const dir = resolved.localModelPath ? join(resolved.localModelPath, resolved.id) : null;
  // A hub model's dtypes: what the hub has now (any id), else what the catalogue says.
  const available = dir
    ? localDtypes(dir)
    : (await hubDtypes(resolved.id)) ?? resolved.entry?.dtypes;
  if (!opts.dtype) dtype = defaultDtype(available ?? [dtype]);
  if (available && !available.includes(dtype)) {
    throw unsupported(
      `El modelo «${resolved.id}» no tiene pesos en ${dtype}; dtypes disponibles: ${
        available.join(", ")
      }.`,
    );
  }
  const config: LlamaDims | undefined = dir
    ? JSON.parse(readFileSync(join(dir, "config.json"), "utf8"))
    : resolved.entry?.config;
  if (config && device === "cpu") assertFits(config, dtype, availableMemoryBytes());

  const started = performance.now();
  const progress_callback = resolved.mode === "online" ? downloadProgress(resolved.id) : undefined;
  let tokenizer;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(resolved.id, { progress_callback });
  } catch (error) {
    throw hubLoadError(error, resolved.id, 2, resolved.entry);
  }
  let model;
  try {
    model = await loadRepairing(
      resolved,
      () =>
        AutoModelForCausalLM.from_pretrained(resolved.id, {
          dtype,
          device,
          progress_callback,
          session_options: {
            intraOpNumThreads: opts.threads ?? navigator.hardwareConcurrency,
            graphOptimizationLevel: "all",
            ...opts.sessionOptions,
          },
        }),
      opts.log,
    );
  } catch (error) {
    if (device === "cpu") throw hubLoadError(error, resolved.id, 2, resolved.entry);
    const failed = chooseDevice(device, null, fallbackToCpu, error);
    if (failed instanceof KitError) throw failed;
    return onCpu(failed.fallback!);
  }
  const loadMs = performance.now() - started;
  // deno-lint-ignore no-explicit-any
  const contextLength = (model as any).config?.max_position_embeddings ?? 0;
  // deno-lint-ignore no-explicit-any
  const session = (model as any).sessions?.model?.config ?? {};

  const backend = makeTransformersBackend({
    name: "Optimizado",
    method: 2,
    mode: resolved.mode,
    model: resolved.id,
    dtype: session.dtype ?? dtype,
    device: session.device ?? device,
    loadMs,
    // deno-lint-ignore no-explicit-any
    decoder: tokenizer as any,
    contextLength,
    // deno-lint-ignore no-explicit-any
    countTokens: promptTokenCounter(tokenizer as any, contextLength),
    run(prompt, genOpts, streamer, stop) {
      const inputs = typeof prompt === "string"
        ? tokenizer(prompt)
        : tokenizer.apply_chat_template(prompt, { add_generation_prompt: true, return_dict: true });
      // deno-lint-ignore no-explicit-any
      return (model as any).generate({
        // deno-lint-ignore no-explicit-any
        ...(inputs as any),
        ...generationSettings(genOpts),
        streamer,
        stopping_criteria: [stop],
      });
    },
    dispose: () => model.dispose(),
  });
  return Object.assign(backend, { requestedDevice: device, fallback: null });
}

/**
 * What can be said about a catalogue model before building or downloading anything: whether
 * it has weights in `dtype`, and (on the CPU) whether it fits in `availableBytes` — the forge's
 * presets from their shape, hub models from the catalogue's config. Throws {@link KitError}
 * "unsupported" or "too-big"; does nothing for names the catalogue does not know.
 *
 * @example
 * ```ts
 * checkBeforeLoading("llama-2-7b", "fp32", "cpu", 16e9); // throws: no tiene pesos en fp32
 * ```
 */
export function checkBeforeLoading(
  name: string,
  dtype: Dtype,
  device: Device,
  availableBytes: number,
): void {
  const entry = loadCatalogue().models.find((m) => m.id === name);
  if (!entry) return;
  if (!entry.dtypes.includes(dtype)) {
    throw unsupported(
      `El modelo «${name}» no tiene pesos en ${dtype}; dtypes disponibles: ${
        entry.dtypes.join(", ")
      }. (Comprobado antes de fabricarlo o descargarlo.)`,
    );
  }
  const shape: LlamaDims | undefined = entry.config ??
    (entry.source === "forge" ? getPreset(name).shape : undefined);
  if (shape && device === "cpu") assertFits(shape, dtype, availableBytes);
}
