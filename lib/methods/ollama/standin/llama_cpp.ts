/**
 * llama.cpp — the engine inside Ollama — from npm (node-llama-cpp), CPU build only: loaded
 * once per process with `gpu: false` and `build: "never"` (the prebuilt binary; never a
 * compile). llama.cpp's own log lines go to a callback (by default nowhere), so nothing of
 * its native logging reaches a notebook cell unless asked for.
 *
 * node-llama-cpp is imported on first use: it is native code for a few platforms only, and
 * where it cannot load, callers fall back to onnxruntime and say so (see
 * {@link llamaCppUnavailable}).
 *
 * @module
 */
import type { Llama } from "node-llama-cpp";

/** Options of {@link loadLlamaCpp}. */
export interface LlamaCppLoadOptions {
  /** Receives llama.cpp's log lines (warnings and errors only); default: dropped. */
  log?: (line: string) => void;
}

let loaded: Promise<Llama> | null = null;
let logSink: (line: string) => void = () => {};

/** Why llama.cpp could not be loaded here, in Spanish, or null when it loads. */
let failure: string | null = null;

/**
 * The process's llama.cpp (loaded on the first call, then shared). Throws an Error with a
 * Spanish message when node-llama-cpp has no binary for this platform.
 *
 * @example
 * ```ts
 * const llama = await loadLlamaCpp();
 * const model = await llama.loadModel({ modelPath: "tiny-q4_0.gguf" });
 * ```
 */
export function loadLlamaCpp(opts: LlamaCppLoadOptions = {}): Promise<Llama> {
  if (opts.log) logSink = opts.log;
  loaded ??= (async () => {
    try {
      const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
      return await getLlama({
        gpu: false,
        build: "never",
        usePrebuiltBinaries: true,
        progressLogs: false,
        logLevel: LlamaLogLevel.warn,
        logger: (_level, message) => logSink(message.trimEnd()),
      });
    } catch (error) {
      loaded = null;
      failure =
        `llama.cpp (node-llama-cpp) no se puede cargar en ${Deno.build.os}-${Deno.build.arch}: ` +
        `${(error as Error).message.split("\n")[0]}`;
      throw new Error(failure, { cause: error });
    }
  })();
  return loaded;
}

/**
 * null when llama.cpp loads on this machine; otherwise the Spanish reason (for the stand-in's
 * answer header and the notebook).
 */
export async function llamaCppUnavailable(): Promise<string | null> {
  try {
    await loadLlamaCpp();
    return null;
  } catch {
    return failure;
  }
}
