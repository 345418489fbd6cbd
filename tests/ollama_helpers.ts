/**
 * Test helpers for method 3: offline servers on free ports with the forge's `tiny` model, plus
 * models whose backend fails or stalls on purpose (to check error codes, the mid-stream error
 * line, abort and timeout); and the scripts/ollama_*.sh runner with a per-test environment.
 */
import { localBackend } from "../lib/methods/optimized/local.ts";
import { type OfflineModel, tinyModel } from "../lib/methods/ollama/standin/models.ts";
import { type OllamaServer, startOllamaServer } from "../lib/methods/ollama/standin/server.ts";
import { measureStream } from "../lib/core/stream.ts";
import type { Backend } from "../lib/core/types.ts";
import { CORPUS_PATH, defaultModelDir, ensureModel } from "../lib/forge/mod.ts";
import { AutoTokenizer, env } from "@huggingface/transformers";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, ROOT } from "../lib/core/paths.ts";
import { pidsMatchingEnv } from "./_processes.ts";
import { bigramChain } from "./forge_reference.ts";
import type { Token } from "node-llama-cpp";

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A Backend around a stream function (generate = the stream's result; close does nothing). */
export function streamBackend(
  name: string,
  method: Backend["method"],
  stream: Backend["stream"],
): Backend {
  return {
    name,
    method,
    mode: "offline",
    stream,
    generate: (p, o) => stream(p, o).result,
    close: () => Promise.resolve(),
  };
}

/** Wraps a backend so that its stream throws after `after` pieces (0: before any). */
export function failingAfter(inner: Backend, after: number, message: string): Backend {
  const stream: Backend["stream"] = (prompt, opts) =>
    measureStream(async function* (signal) {
      let n = 0;
      if (after === 0) throw new Error(message);
      for await (const piece of inner.stream(prompt, { ...opts, signal })) {
        yield { text: piece };
        if (++n >= after) throw new Error(message);
      }
      return { tokensIn: 0, model: "flaky" };
    }, opts);
  return streamBackend("flaky", 2, stream);
}

/**
 * Wraps a backend so that its stream sends its first `after` pieces, then sends nothing more
 * until it is aborted (a generation that stalls): only an abort or a timeout can end it, so a
 * test of either cannot race the generation.
 */
export function stallingAfter(inner: Backend, after: number): Backend {
  const stream: Backend["stream"] = (prompt, opts = {}) =>
    measureStream(async function* (signal) {
      const first = inner.stream(prompt, {
        temperature: opts.temperature,
        maxTokens: after,
        signal,
      });
      for await (const piece of first) yield { text: piece };
      const { tokensIn } = await first.result;
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return { tokensIn, model: "stalling" };
    }, opts);
  return streamBackend("stalling", 2, stream);
}

/**
 * Starts an offline server on a free port with `tiny` (built if missing), "broken" (its backend
 * cannot load: 500), "flaky" (its generation fails after 3 tokens: error line mid-stream) and
 * "stalling" (tiny's first 3 tokens, then nothing until the generation is aborted).
 */
export async function startTestServer(
  log: string[] = [],
): Promise<OllamaServer & { models: OfflineModel[] }> {
  await ensureModel("tiny", { log: () => {} });
  const tiny = tinyModel();
  const broken: OfflineModel = {
    ...tiny,
    name: "broken:latest",
    backend: () => Promise.reject(new Error("onnxruntime: no se pudo abrir el modelo (simulado)")),
  };
  const flaky: OfflineModel = {
    ...tiny,
    name: "flaky:latest",
    backend: async () =>
      failingAfter(await localBackend({ model: "tiny" }), 3, "CUDA out of memory (simulado)"),
  };
  const stalling: OfflineModel = {
    ...tiny,
    name: "stalling:latest",
    backend: async () => stallingAfter(await localBackend({ model: "tiny" }), 3),
  };
  const models = [tiny, broken, flaky, stalling];
  const server = await startOllamaServer({
    port: freePort(),
    models,
    log: (l) => log.push(l),
  });
  return { ...server, models };
}

/** POSTs JSON to the server. */
export function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Reads an NDJSON response into objects (independently of lib's reader). */
export async function ndjsonLines(res: Response): Promise<Record<string, unknown>[]> {
  const text = await res.text();
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/**
 * The greedy continuation `tiny` must produce for a plain prompt, from the corpus-bigram oracle
 * of tests/forge_reference.ts (independent of the forge's weights and of transformers.js's
 * generation): the corpus tokenized by tiny's tokenizer, the chain of most frequent successors.
 */
export async function greedyTiny(prompt: string, steps: number): Promise<string> {
  await ensureModel("tiny", { log: () => {} });
  const dir = defaultModelDir("tiny");
  env.allowRemoteModels = false;
  env.cacheDir = join(CACHE_DIR, "hf");
  env.localModelPath = dir.slice(0, dir.lastIndexOf("/") + 1);
  const tokenizer = await AutoTokenizer.from_pretrained("tiny");
  const paragraphs = (await Deno.readTextFile(CORPUS_PATH)).split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim()).filter(Boolean);
  const sequences = paragraphs.map((p) => tokenizer.encode(p, { add_special_tokens: false }));
  const ids = tokenizer.encode(prompt, { add_special_tokens: false });
  const chain = bigramChain(sequences, ids.at(-1)!, steps);
  return tokenizer.decode(chain, { skip_special_tokens: true });
}

/** scripts/, where the ollama_*.sh scripts live. */
export const SCRIPTS = join(ROOT, "scripts");
/** The folder of the kit's offline `ollama` executable. */
export const OFFLINE_BIN = join(SCRIPTS, "offline");
/** A PATH with the system's tools only. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A script's whole environment: a port and a folder of its own. */
export interface ScriptEnv {
  OLLAMA_HOST: string;
  OLLAMA_KIT_DIR: string;
  PATH: string;
  DENO_BIN: string;
  [k: string]: string;
}

/**
 * A fresh environment for one test: OLLAMA_HOST on a free port, a new OLLAMA_KIT_DIR (the test
 * removes it), and `pathFirst` (default the offline `ollama`) ahead of the system's PATH.
 */
export function scriptEnv(pathFirst = OFFLINE_BIN): ScriptEnv {
  return {
    OLLAMA_HOST: `127.0.0.1:${freePort()}`,
    OLLAMA_KIT_DIR: mkdtempSync("/tmp/ollama-kit-test-"),
    PATH: `${pathFirst}:${SYSTEM_PATH}`,
    DENO_BIN: Deno.execPath(),
    HOME: Deno.env.get("HOME") ?? "/root",
  };
}

/** Runs scripts/`script` with bash in exactly `env` (nothing inherited). */
export async function runScript(
  script: string,
  env: ScriptEnv,
  args: string[] = [],
): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [join(SCRIPTS, script), ...args],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

/** Whether process `pid` exists (signal SIGCONT, harmless to a running process). */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** Pids of the `ollama serve` processes started with this test's OLLAMA_HOST (no one else's). */
export function servePids(env: ScriptEnv): Promise<number[]> {
  return pidsMatchingEnv("ollama serve", { OLLAMA_HOST: env.OLLAMA_HOST });
}

/** llama.cpp's own greedy completion of a plain prompt on a GGUF file (node-llama-cpp's API). */
export interface GgufCompletion {
  text: string;
  /** Tokens generated (the end-of-sequence token not counted). */
  tokens: number;
  /** "length" when `steps` tokens came out, "stop" when the model ended first. */
  stopReason: "stop" | "length";
}

/**
 * Oracle for the Ollama stand-in on llama.cpp: node-llama-cpp's LlamaCompletion (greedy, no
 * template) on the same GGUF file, independent of the kit's generation loop. A string prompt
 * gets a leading space, as Llama-2 tokenizers (and the stand-in) read plain text; token ids
 * (e.g. a chat templated by transformers.js's `apply_chat_template`, `<s>` first) are fed as
 * they are, their `<s>` replaced by the one LlamaCompletion puts first itself.
 */
export async function greedyGguf(
  path: string,
  prompt: string | number[],
  steps: number,
): Promise<GgufCompletion> {
  const { getLlama, LlamaCompletion, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 512, threads: 1 });
  try {
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    let tokens = 0;
    const bos = model.tokens.bos;
    const input = typeof prompt === "string"
      ? ` ${prompt}`
      : (prompt[0] === bos ? prompt.slice(1) : prompt) as Token[];
    const text = await completion.generateCompletion(input, {
      maxTokens: steps,
      temperature: 0,
      onToken: (t) => (tokens += t.length),
    });
    return {
      text: text.replace(/^ /, ""),
      tokens,
      stopReason: tokens >= steps ? "length" : "stop",
    };
  } finally {
    await context.dispose();
    await model.dispose();
  }
}
