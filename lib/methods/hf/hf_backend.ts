/** Internal: the Backend surface shared by methods 1 and 2 (both run transformers.js). */
import type { InterruptableStoppingCriteria } from "@huggingface/transformers";
import { guardBackend } from "../../core/guard.ts";
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
  /** The model's context in tokens (config.max_position_embeddings), when known. */
  contextLength?: number;
  /** Tokens of a prompt as the model sees it (chat template applied), or a lower bound. */
  countTokens?(prompt: PromptInput): number | { atLeast: number };
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
        details: {
          dtype: parts.dtype,
          device: parts.device,
          loadMs: parts.loadMs,
          engine: `onnxruntime (transformers.js), ${parts.dtype}, ${parts.device}`,
        },
      };
    }, opts);
  };
  const limit = parts.contextLength && parts.countTokens
    ? { contextLength: parts.contextLength, countTokens: parts.countTokens }
    : undefined;
  return guardBackend({
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
  }, limit);
}

/** The tokenizer surface {@link promptTokenCounter} needs (a transformers.js tokenizer). */
export interface PromptTokenizer {
  encode(text: string): number[];
  apply_chat_template(
    messages: unknown,
    opts: { add_generation_prompt: boolean; tokenize: true; return_tensor: false },
  ): unknown;
}

/** Characters per token read at most before counting stops (real tokenizers average ~4). */
const CHARS_PER_TOKEN_CAP = 8;

/**
 * Counts a prompt's tokens as `generate` will see them (the chat template for messages).
 * Tokenizing a very long text is slow (seconds for 100 000 characters), so a text longer than
 * `contextLength` × 8 characters is cut there first: if the cut part alone does not fit, the
 * count is a lower bound (`atLeast`), which is all the context check needs.
 */
export function promptTokenCounter(
  tokenizer: PromptTokenizer,
  contextLength: number,
): (p: PromptInput) => number | { atLeast: number } {
  const budget = contextLength * CHARS_PER_TOKEN_CAP;
  return (prompt) => {
    let cut = false;
    const clip = (text: string) => {
      if (text.length <= budget) return text;
      cut = true;
      return text.slice(0, budget);
    };
    let n = 0;
    if (typeof prompt === "string") n = tokenizer.encode(clip(prompt)).length;
    else {
      try {
        const out = tokenizer.apply_chat_template(
          prompt.map((m) => ({ ...m, content: clip(m.content) })),
          { add_generation_prompt: true, tokenize: true, return_tensor: false },
        ) as number[] | { input_ids?: number[] };
        n = (Array.isArray(out) ? out : out?.input_ids ?? []).length;
      } catch {
        return 0; // no chat template: generate says so itself
      }
    }
    return cut && n >= contextLength ? { atLeast: n } : n;
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
