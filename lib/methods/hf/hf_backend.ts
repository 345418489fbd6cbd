/** Internal: the Backend surface shared by methods 1 and 2 (both run transformers.js). */
import type { InterruptableStoppingCriteria } from "@huggingface/transformers";
import { KitError } from "../../core/errors.ts";

const badRequest = (message: string) => new KitError(message, { kind: "bad-request" });
import { measureStream } from "../../core/stream.ts";
import { peakRssBytes, resetPeakRss } from "../../measure/rss.ts";
import { nvidiaGpus } from "../../env/machine.ts";
import {
  type Backend,
  DEFAULT_MAX_TOKENS,
  type GenerateOptions,
  type GenerationStream,
  type PromptInput,
} from "../../core/types.ts";
import { type Decoder, streamGeneration, type TokenStreamer } from "./_token_streamer.ts";

/** Checks a prompt and options; throws {@link KitError} with a Spanish message. */
export function validateRequest(prompt: PromptInput, opts: GenerateOptions): void {
  const empty = typeof prompt === "string"
    ? prompt.trim() === ""
    : prompt.length === 0 || prompt.every((m) => m.content.trim() === "");
  if (empty) throw badRequest("El prompt está vacío: escribe algo para el modelo.");
  const max = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isInteger(max) || max <= 0) {
    throw badRequest(`maxTokens debe ser un entero mayor que 0 (recibido: ${max}).`);
  }
}

/** A transformers.js backend: the Backend surface plus what was loaded and how. */
export interface TransformersBackend extends Backend {
  /** Model id as loaded. */
  readonly model: string;
  /** The dtype and device onnxruntime actually used (read from the session). */
  readonly dtype: string;
  readonly device: string;
  /** Time to load tokenizer and model, ms. */
  readonly loadMs: number;
}

/** What each method supplies to {@link makeTransformersBackend}. */
export interface TransformersParts {
  name: string;
  method: 1 | 2;
  mode: "online" | "offline";
  model: string;
  dtype: string;
  device: string;
  loadMs: number;
  decoder: Decoder;
  /** Runs one generation with the given streamer and stopping criterion. */
  run(
    prompt: PromptInput,
    opts: GenerateOptions,
    streamer: TokenStreamer,
    stop: InterruptableStoppingCriteria,
  ): Promise<unknown>;
  dispose(): Promise<unknown>;
}

/** Builds the Backend from a method's parts: streaming, timings, memory, validation. */
export function makeTransformersBackend(parts: TransformersParts): TransformersBackend {
  const stream = (prompt: PromptInput, opts: GenerateOptions = {}): GenerationStream => {
    validateRequest(prompt, opts);
    return measureStream(async function* (signal) {
      resetPeakRss();
      const run = yield* streamGeneration(
        parts.decoder,
        signal,
        (streamer, stop) => parts.run(prompt, opts, streamer, stop),
      );
      const gpus = parts.device === "cpu" ? [] : await nvidiaGpus();
      return {
        tokensIn: run.promptTokens,
        tokensOut: run.generatedTokens,
        model: parts.model,
        memory: {
          peakRssBytes: peakRssBytes(),
          gpuBytes: gpus.length ? gpus.reduce((s, g) => s + g.memoryUsedBytes, 0) : undefined,
        },
        details: { dtype: parts.dtype, device: parts.device, loadMs: parts.loadMs },
      };
    }, opts);
  };
  return {
    name: parts.name,
    method: parts.method,
    mode: parts.mode,
    model: parts.model,
    dtype: parts.dtype,
    device: parts.device,
    loadMs: parts.loadMs,
    stream,
    generate: (prompt, opts) => stream(prompt, opts).result,
    close: async () => {
      await parts.dispose();
    },
  };
}

/** Generation settings transformers.js understands, from the kit's options. */
export function generationSettings(opts: GenerateOptions): Record<string, unknown> {
  const temperature = opts.temperature ?? 0;
  return {
    max_new_tokens: opts.maxTokens ?? DEFAULT_MAX_TOKENS,
    do_sample: temperature > 0,
    ...(temperature > 0 ? { temperature } : {}),
  };
}
