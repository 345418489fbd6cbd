/**
 * What the benchmark driver sends to a fresh worker process and what it prints back.
 *
 * @module
 */
import type { Dtype } from "../measure/memory.ts";
import type { RssSplit } from "../measure/rss.ts";

export type { RssSplit };
import type { BandwidthResult } from "./bandwidth.ts";

/**
 * Which decode loop: the kit's Optimized backend, the raw onnxruntime-node loop, or llama.cpp
 * (node-llama-cpp) on a GGUF file of the same weights.
 */
export type Impl = "kit" | "raw" | "llama.cpp";

/** One decode loop to load and run; several runners in one process take turns. */
export interface Runner {
  /** Label in reports ("kit", "raw", "raw threads=1", …). */
  label: string;
  impl: Impl;
  /** Raw runners only: onnxruntime session options (default {@link KIT_SESSION_OPTIONS}). */
  sessionOptions?: Record<string, unknown>;
  /** Raw runners only: a static KV cache written in place (raw_decode.ts's `staticKv`). */
  staticKv?: boolean;
  /** Kit and llama.cpp runners: the number of CPU threads. */
  threads?: number;
  /** Kit runners only: another model folder of the same model (e.g. another graph). */
  modelDir?: string;
  /** llama.cpp runners only: the GGUF file. */
  ggufPath?: string;
}

/**
 * The session options the kit's Optimized backend passes to onnxruntime on a 2-core CPU (keep
 * in step with lib/backends/optimized.ts): what "raw" means when a runner gives none.
 */
export const KIT_SESSION_OPTIONS: Record<string, unknown> = {
  intraOpNumThreads: navigator.hardwareConcurrency,
  graphOptimizationLevel: "all",
};

/** Arguments of one worker process (passed as one JSON argument). */
export interface WorkerArgs {
  /** Model folder (config.json, generation_config.json, tokenizer, onnx/). */
  modelDir: string;
  /** ONNX file inside onnx/ to load instead of the dtype's (raw runners only). */
  onnxFile?: string;
  dtype: Dtype;
  prompt: string;
  maxTokens: number;
  /** Rounds: each runner generates once per round, in turn (order alternates). */
  repeats?: number;
  runners: Runner[];
  /** Record each token's arrival and the RSS every `rssEvery` tokens. */
  trace?: boolean;
  rssEvery?: number;
  /** Measure ORT ReduceSum bandwidth after generating (same process, same noise). */
  bandwidth?: boolean;
  bandwidthBytes?: number;
  /** Wait before each generation until other processes leave the CPU (default true). */
  waitForQuiet?: boolean;
}

/** One generation inside a worker. */
export interface WorkerRun {
  label: string;
  impl: Impl;
  round: number;
  tokensPerSecond: number | null;
  ttftMs: number | null;
  promptTokens: number;
  /** Token ids generated (kit and raw runners; [] for llama.cpp). */
  ids: number[];
  /** Text generated (kit and llama.cpp runners). */
  text?: string;
  /** With `trace`: performance.now() of each new token, and [tokens, RSS bytes] samples. */
  tokenAt?: number[];
  rss?: [number, number][];
  /** Other processes' CPU load (cores) just before and during the generation. */
  quietBefore?: number | null;
  othersLoad?: number | null;
}

/** The JSON line a worker prints. */
export interface WorkerReport {
  /** RSS before loading anything (Deno + libraries). */
  baselineRssBytes: number;
  /** Load time of each runner's model, ms (by label). */
  loadMs: Record<string, number>;
  loadedRss: RssSplit;
  /** Peak RSS of start-up and load. */
  loadPeakRssBytes: number;
  /** Peak RSS of the generations (reset after loading). */
  generatePeakRssBytes: number;
  runs: WorkerRun[];
  bandwidth: BandwidthResult[];
}
