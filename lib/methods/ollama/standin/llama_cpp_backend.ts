/**
 * Method 3's offline engine: generates with llama.cpp (node-llama-cpp, CPU) on the forge's
 * GGUF files, as a real Ollama does. Its prompts are tokenized exactly as methods 1–2 do it
 * (same ids), so a difference in the answer comes from the engine and the weight format:
 *
 * - a plain prompt: `<s>` + the text with Hugging Face's Metaspace rule (one leading "▁"
 *   unless the text starts with a space); the GGUF says `add_space_prefix = false`, so
 *   llama.cpp adds nothing itself;
 * - a conversation: the Llama-2 chat template (the one in the GGUF's metadata), whose text
 *   starts with `<s>`, tokenized with special tokens parsed.
 *
 * Timings are llama.cpp's own work, measured around its calls: load (model + context), prompt
 * evaluation (prefill up to the first sampled token) and evaluation (each later token).
 *
 * @module
 */
import { availableParallelism } from "node:os";
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type {
  Backend,
  ChatMessage,
  GenerateOptions,
  GenerationStream,
  PromptInput,
} from "../../../core/types.ts";
import { DEFAULT_MAX_TOKENS } from "../../../core/types.ts";
import { measureStream, type Piece, type SourceEnd } from "../../../core/stream.ts";
import { peakRssBytes } from "../../../measure/rss.ts";
import { ensureGguf, type GgufVariant } from "../../../forge/mod.ts";
import { loadLlamaCpp } from "./llama_cpp.ts";

/** Options of {@link llamaCppBackend}. */
export interface LlamaCppBackendOptions {
  /** Forge preset (default "tiny"). */
  preset?: string;
  /** GGUF variant (default "q4_0", Ollama's default quantization). */
  variant?: GgufVariant;
  /** A GGUF file to use instead of the forge's (its tokenizer must be the forge's). */
  modelPath?: string;
  /**
   * CPU threads (default: the machine's cores minus one, at least 1). llama.cpp's threads
   * spin while they wait for each other, so more threads than free cores (its own default
   * counts hardware threads) makes it many times slower on a busy laptop or a 2-core Colab.
   */
  threads?: number;
  /** Context length in tokens (default min(model's, 2048)). */
  contextSize?: number;
  /** Model name reported in results (default "<preset>:<variant>"). */
  model?: string;
  /** Progress notes (Spanish) while a GGUF is built; default console.log. */
  log?: (line: string) => void;
}

/** A llama.cpp backend, with what it loaded and how long loading took. */
export interface LlamaCppBackend extends Backend {
  readonly engine: "llama.cpp";
  readonly modelPath: string;
  /** Load time (model + context) in ms: Ollama's load_duration. */
  readonly loadMs: number;
  /** Token ids a prompt becomes (what prompt_eval_count counts). */
  tokenize(prompt: PromptInput): Token[];
}

/**
 * The text of a conversation in the Llama-2 chat template (as the forge's tokenizer_config and
 * GGUF carry it), with the generation prompt: `<s>[INST] … [/INST]` per user turn, an optional
 * `<<SYS>>` block in the first one, ` answer </s>` after each assistant turn.
 *
 * @example
 * ```ts
 * llama2ChatText([{ role: "user", content: "hola" }]); // "<s>[INST] hola [/INST]"
 * ```
 */
export function llama2ChatText(messages: ChatMessage[], bos = "<s>", eos = "</s>"): string {
  let system: string | null = null;
  let turns = messages;
  if (messages[0]?.role === "system") {
    system = messages[0].content;
    turns = messages.slice(1);
  }
  let out = "";
  turns.forEach((m, i) => {
    if ((m.role === "user") !== (i % 2 === 0)) {
      throw new Error("Los turnos deben alternar user/assistant/user/assistant/…");
    }
    const content = i === 0 && system !== null
      ? `<<SYS>>\n${system}\n<</SYS>>\n\n${m.content}`
      : m.content;
    if (m.role === "user") out += `${bos}[INST] ${content.trim()} [/INST]`;
    else out += ` ${content.trim()} ${eos}`;
  });
  return out;
}

/**
 * Loads a GGUF (building the forge's when needed) into llama.cpp and returns a method-3
 * backend that generates with it.
 *
 * @example
 * ```ts
 * const backend = await llamaCppBackend({ preset: "tiny", variant: "f16" });
 * const { text } = await backend.generate("La memoria", { maxTokens: 8 });
 * ```
 */
export async function llamaCppBackend(opts: LlamaCppBackendOptions = {}): Promise<LlamaCppBackend> {
  const preset = opts.preset ?? "tiny";
  const variant = opts.variant ?? "q4_0";
  const modelPath = opts.modelPath ?? await ensureGguf(preset, variant, { log: opts.log });
  const llama = await loadLlamaCpp();
  const t0 = performance.now();
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  } catch (error) {
    throw new Error(
      `llama.cpp no pudo abrir «${modelPath}» (¿fichero GGUF corrupto o a medias? bórralo y ` +
        `se volverá a fabricar): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const context: LlamaContext = await model.createContext({
    contextSize: opts.contextSize ?? Math.min(model.trainContextSize, 2048),
    threads: opts.threads ?? Math.max(1, availableParallelism() - 1),
  });
  const sequence: LlamaContextSequence = context.getSequence();
  const loadMs = performance.now() - t0;
  const name = opts.model ?? `${preset}:${variant}`;
  const bos = model.tokens.bos;
  const eos = model.tokens.eos;

  function tokenize(prompt: PromptInput): Token[] {
    if (typeof prompt !== "string") {
      return model.tokenize(llama2ChatText(prompt), true);
    }
    const text = prompt.startsWith(" ") || prompt === "" ? prompt : ` ${prompt}`;
    return [...(bos === null ? [] : [bos]), ...model.tokenize(text, false)];
  }

  function stream(prompt: PromptInput, genOpts: GenerateOptions = {}): GenerationStream {
    const maxTokens = genOpts.maxTokens ?? DEFAULT_MAX_TOKENS;
    const temperature = genOpts.temperature ?? 0;
    return measureStream(async function* (signal): AsyncGenerator<Piece, SourceEnd> {
      const input = tokenize(prompt);
      if (input.length >= context.contextSize) {
        throw new Error(
          `El prompt tiene ${input.length} tokens y el contexto de llama.cpp solo ` +
            `${context.contextSize}: acórtalo.`,
        );
      }
      await sequence.clearHistory();
      const generated: Token[] = [];
      let emitted = 0;
      let promptEvalMs = 0;
      let evalMs = 0;
      let stopReason: "stop" | "length" = "length";
      const it = sequence.evaluate(input, { temperature });
      const room = Math.min(maxTokens, context.contextSize - input.length);
      try {
        while (generated.length < room && !signal.aborted) {
          const t = performance.now();
          const next = await it.next();
          const ms = performance.now() - t;
          if (generated.length === 0) promptEvalMs = ms;
          else evalMs += ms;
          if (next.done) break;
          if (next.value === eos || model.isSpecialToken(next.value)) {
            stopReason = "stop";
            break;
          }
          generated.push(next.value);
          // Hugging Face's decoder drops the first leading space; byte-fallback pieces of a
          // character wait until it is whole.
          const text = model.detokenize(generated).replace(/^ /, "");
          const ready = text.endsWith("\uFFFD") ? text.slice(0, -1) : text;
          yield { text: ready.slice(emitted), tokens: 1 };
          emitted = Math.max(emitted, ready.length);
        }
      } finally {
        await it.return();
      }
      const text = model.detokenize(generated).replace(/^ /, "");
      if (text.length > emitted) yield { text: text.slice(emitted), tokens: 0 };
      return {
        tokensIn: input.length,
        tokensOut: generated.length,
        stopReason: generated.length >= maxTokens ? "length" : stopReason,
        model: name,
        serviceTimings: { loadMs, promptEvalMs, evalMs },
        memory: { peakRssBytes: peakRssBytes() },
        details: { engine: "llama.cpp", gguf: modelPath, threads: context.currentThreads },
      };
    }, genOpts);
  }

  return {
    name: "Ollama",
    method: 3,
    mode: "offline",
    engine: "llama.cpp",
    modelPath,
    loadMs,
    tokenize,
    stream,
    generate: (prompt, genOpts) => stream(prompt, genOpts).result,
    async close() {
      await context.dispose();
      await model.dispose();
    },
  };
}
