/**
 * The one interface behind the four methods (pipeline, optimized, Ollama, Groq): the
 * comparison is a loop over it.
 *
 * @module
 */

/** A chat turn. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * A plain prompt or a chat conversation. A plain prompt is text to continue, without a chat
 * template (methods 1–2 tokenize it as is; Ollama gets it with `raw: true`); only Groq, whose
 * API is chat only, sends it as one user message. A conversation goes through the model's chat
 * template everywhere.
 */
export type PromptInput = string | ChatMessage[];

/** Bounds and sampling for one generation. Every generation is bounded. */
export interface GenerateOptions {
  /** Most new tokens to produce (default {@link DEFAULT_MAX_TOKENS}). */
  maxTokens?: number;
  /** 0 (default) = greedy; > 0 samples. */
  temperature?: number;
  /** Aborts the generation: the stream ends early with stopReason "abort", text kept. */
  signal?: AbortSignal;
  /** Wall-clock bound for the whole call in ms (default {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Receives a reasoning model's thinking text as it arrives (it is not part of the answer). */
  onThinking?: (text: string) => void;
}

/** Default bound on new tokens. */
export const DEFAULT_MAX_TOKENS = 128;
/** Default bound on a call's wall-clock time (2 minutes). */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Why a generation ended. */
export type StopReason = "stop" | "length" | "abort" | "timeout";

/** Client-side timings, measured the same way for every backend. */
export interface Timings {
  /** Request → first token of either kind, thinking or answer (time to first token). */
  ttftMs: number | null;
  /** Reasoning models only: request → first token of the answer (after the thinking). */
  answerTtftMs?: number | null;
  /** Request → end of the stream. */
  totalMs: number;
  /** First token → last token. */
  decodeMs: number;
  /** Tokens after the first ÷ decode time; null with fewer than 2 tokens. */
  tokensPerSecond: number | null;
}

/** The outcome of one generation. */
export interface GenerateResult {
  /** The answer (without a reasoning model's thinking). */
  text: string;
  /** A reasoning model's thinking, apart from the answer (absent when it did not think). */
  thinking?: string;
  /** Tokens (stream pieces) of thinking; they are included in tokensOut, as services count them. */
  thinkingTokens?: number;
  tokensIn: number;
  tokensOut: number;
  stopReason: StopReason;
  timings: Timings;
  /** What the service reports about itself (e.g. Ollama eval_duration, Groq completion_time), in ms. */
  serviceTimings?: Record<string, number>;
  /** Model id actually used. */
  model: string;
  /** Memory after the call: peak RSS of this process, GPU memory in use when on a GPU. */
  memory?: { peakRssBytes?: number; gpuBytes?: number };
  /** Extra facts a backend reports (dtype and device actually used, load time, …). */
  details?: Record<string, string | number | boolean>;
}

/**
 * A running generation: iterate it for the text pieces as they arrive; `result` resolves
 * once the stream has ended (iterating is not required: awaiting `result` drains it).
 */
export interface GenerationStream extends AsyncIterable<string> {
  readonly result: Promise<GenerateResult>;
  /** Stops the generation; what was produced so far is kept. */
  abort(): void;
}

/** One way of running a model. */
export interface Backend {
  /** Human name ("Pipeline", "Optimizado", "Ollama", "Groq"). */
  readonly name: string;
  /** Which of the session's four methods. */
  readonly method: 1 | 2 | 3 | 4;
  /** "online": the real service or hub model; "offline": the kit's local stand-in. */
  readonly mode: "online" | "offline";
  /** Generates to the end and returns the whole result. */
  generate(prompt: PromptInput, opts?: GenerateOptions): Promise<GenerateResult>;
  /** Generates piece by piece. */
  stream(prompt: PromptInput, opts?: GenerateOptions): GenerationStream;
  /** Frees what the backend holds (models, connections); generating afterwards is refused. */
  close(): Promise<void>;
  /**
   * Runs the checks `generate` runs before any request (prompt, options, context, closed) and
   * throws the same KitError, without generating.
   */
  validate?(prompt: PromptInput, opts?: GenerateOptions): void;
}

/** How one method runs on this machine, and why (Spanish: a student reads it). */
export interface MethodMode {
  method: 1 | 2 | 3 | 4;
  name: string;
  /** "online": the real service or hub; "offline": the kit's local model or stand-in. */
  mode: "online" | "offline";
  reason: string;
}

/**
 * Weight formats the kit teaches and the forge writes, as transformers.js names them (q4f16:
 * 4-bit weights with float16 activations, the GPU format; built on request).
 */
export type Dtype = "fp32" | "fp16" | "q8" | "q4" | "q4f16";

/** Llama hyper-parameters, named as in Hugging Face's LlamaConfig. */
export interface LlamaShape {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
}

/**
 * The real shapes of the models the session talks about, from their config.json on the hub
 * (meta-llama/Llama-2-7b-hf, TinyLlama/TinyLlama-1.1B-Chat-v1.0). The forge's presets of the
 * same names and the memory arithmetic both use these.
 */
export const HUB_SHAPES: Readonly<Record<"llama-2-7b" | "tinyllama-1.1b", LlamaShape>> = {
  "tinyllama-1.1b": {
    vocab_size: 32000,
    hidden_size: 2048,
    intermediate_size: 5632,
    num_hidden_layers: 22,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
  },
  "llama-2-7b": {
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 32,
    max_position_embeddings: 4096,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
  },
};
