/**
 * What the offline Ollama stand-in serves: models described the way Ollama describes them
 * (name:tag, details, digests of their files), made present by a `build` step (the forge) and
 * generated with by a {@link Backend}. The server owns no text generator of its own.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Backend } from "../../../core/types.ts";
import type { WireModelDetails } from "../wire.ts";
import { withTag } from "../models.ts";
import {
  defaultModelDir,
  ensureModel,
  forgeContentHash,
  getPreset,
  STAMP_FILE,
} from "../../../forge/mod.ts";
import { countParams } from "../../../measure/memory.ts";
import { localBackend } from "../../optimized/local.ts";

/** The Llama-2 chat template in Ollama's Go template syntax (what a Modelfile's TEMPLATE says). */
export const LLAMA2_OLLAMA_TEMPLATE =
  "[INST] {{ if .System }}<<SYS>>\n{{ .System }}\n<</SYS>>\n\n" +
  "{{ end }}{{ .Prompt }} [/INST]";

/** A model the offline server can list, pull, show and generate with. */
export interface OfflineModel {
  /** Full name with its tag, e.g. "tiny:latest". */
  name: string;
  details: WireModelDetails;
  /** The folder its files live in once it is present. */
  dir: string;
  /** True when its files are there (pulled/built). */
  present(): Promise<boolean>;
  /** Makes it present (the forge builds it); `note` reports what is being done, in Spanish. */
  build(note: (text: string) => void): Promise<void>;
  /** Creates the backend that generates with it (its creation time is Ollama's load_duration). */
  backend?: () => Promise<Backend>;
  /**
   * Ollama template shown by /api/show (default "{{ .Prompt }}"). The stand-in does not render
   * it: chat messages (and a non-raw /api/generate prompt) go through the backend's own chat
   * template, which this must describe.
   */
  template?: string;
  /** Default parameters shown by /api/show ("name value" lines). */
  parameters?: Record<string, string | number>;
  /** GGUF-style facts for /api/show's model_info ("general.architecture", …). */
  modelInfo?: Record<string, string | number>;
  /** The engine that generates with it, for the answers' X-Kit-Engine header. */
  engine?: () => Promise<string>;

  /**
   * What /api/show lists under `capabilities` (default ["completion"]). With "thinking", the
   * backend's text between `<think>` and `</think>` goes out as `thinking`, as Ollama's parser
   * sends it, unless the request says `think: false`.
   */
  capabilities?: string[];
}

/** The header naming the engine behind a model's answers ("llama.cpp" or "onnxruntime (…)"). */
export const ENGINE_HEADER = "X-Kit-Engine";

/** Adds {@link ENGINE_HEADER} to a response about `model`, when the model knows its engine. */
export async function withEngineHeader(res: Response, model?: OfflineModel): Promise<Response> {
  if (model?.engine) res.headers.set(ENGINE_HEADER, encodeURIComponent(await model.engine()));
  return res;
}

/**
 * Normalises a model name the way Ollama does: a missing tag means ":latest".
 *
 * @example
 * ```ts
 * fullModelName("tiny"); // "tiny:latest"
 * ```
 */
export function fullModelName(name: string): string {
  return withTag(name.trim());
}

/** A file of a model folder, as a "layer" of the model. */
export interface ModelFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** Every file under a model folder (recursively), sorted by path; [] when it does not exist. */
export async function modelFiles(dir: string): Promise<ModelFile[]> {
  const out: ModelFile[] = [];
  async function walk(d: string) {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await stat(p);
        out.push({ path: p, size: s.size, mtimeMs: s.mtimeMs });
      }
    }
  }
  await walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const digestCache = new Map<string, string>();
const LAYER_CHUNK = 4 << 20;

/** Hex sha256 of bytes. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Reads a model file as a pull reads a layer: yields the bytes read so far after each 4 MiB
 * chunk, and returns the file's hex sha256 (computed as it goes).
 */
export async function* readLayer(file: ModelFile): AsyncGenerator<number, string, undefined> {
  const hash = createHash("sha256");
  const f = await Deno.open(file.path, { read: true });
  const buf = new Uint8Array(LAYER_CHUNK);
  let done = 0;
  try {
    while (true) {
      const n = await f.read(buf);
      if (n === null) break;
      hash.update(buf.subarray(0, n));
      done += n;
      yield done;
    }
  } finally {
    f.close();
  }
  const digest = hash.digest("hex");
  digestCache.set(cacheKey(file), digest);
  return digest;
}

function cacheKey(file: ModelFile): string {
  return `${file.path}\0${file.size}\0${file.mtimeMs}`;
}

/**
 * Hex sha256 of a file, cached by path, size and modification time (model files are large and
 * /api/tags is asked often).
 */
export async function fileDigest(file: ModelFile): Promise<string> {
  const cached = digestCache.get(cacheKey(file));
  if (cached) return cached;
  const it = readLayer(file);
  while (true) {
    const next = await it.next();
    if (next.done) return next.value;
  }
}

/**
 * The digest Ollama shows for a model (its manifest's sha256): here the sha256 of the list of
 * its files' digests, so it changes whenever a file does.
 */
export async function manifestDigest(files: ModelFile[]): Promise<string> {
  const layers = [];
  for (const f of files) layers.push({ digest: `sha256:${await fileDigest(f)}`, size: f.size });
  return await sha256Hex(new TextEncoder().encode(JSON.stringify(layers)));
}

/** Parameter count the way Ollama prints it ("8.0B", "1.2M"). */
export function parameterSize(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  return `${(count / 1e3).toFixed(1)}K`;
}

/** How a forge preset's files are stored, for {@link describePreset}. */
export interface PresetFiles {
  format: "onnx" | "gguf";
  /** Ollama's quantization_level ("F32", "Q4_0", …). */
  quantization: string;
  /** GGUF's general.file_type of that quantization (0: all F32). */
  fileType: number;
  /** What the model is, in Spanish (model_info's "kit.offline"). */
  note: string;
}

/**
 * How the stand-in describes a forge preset, whatever engine runs it: /api/tags details (the
 * Llama family, its parameter count), greedy default parameters, and /api/show's GGUF-style
 * model_info from its shape.
 *
 * @example
 * ```ts
 * describePreset("tiny", { format: "onnx", quantization: "F32", fileType: 0, note: "…" }).details.family; // "llama"
 * ```
 */
export function describePreset(
  preset: string,
  files: PresetFiles,
): Required<Pick<OfflineModel, "details" | "parameters" | "modelInfo">> {
  const s = getPreset(preset).shape;
  return {
    details: {
      parent_model: "",
      format: files.format,
      family: "llama",
      families: ["llama"],
      parameter_size: parameterSize(countParams(s)),
      quantization_level: files.quantization,
    },
    parameters: {
      temperature: 0,
      num_predict: 128,
      num_ctx: Math.min(s.max_position_embeddings, 2048),
    },
    modelInfo: {
      "general.architecture": "llama",
      "general.parameter_count": countParams(s),
      "general.file_type": files.fileType,
      "llama.attention.head_count": s.num_attention_heads,
      "llama.attention.head_count_kv": s.num_key_value_heads,
      "llama.attention.layer_norm_rms_epsilon": s.rms_norm_eps,
      "llama.block_count": s.num_hidden_layers,
      "llama.context_length": s.max_position_embeddings,
      "llama.embedding_length": s.hidden_size,
      "llama.feed_forward_length": s.intermediate_size,
      "llama.rope.freq_base": s.rope_theta,
      "llama.vocab_size": s.vocab_size,
      "kit.offline": files.note,
    },
  };
}

/**
 * The forge's `tiny` model as an Ollama model "tiny:latest": present once the forge has built
 * it (same content hash), pulled by building it, generated with by `localBackend()` (fp32,
 * greedy by default). Forge and transformers.js are imported only when needed, so `ollama list`
 * stays quick.
 *
 * @example
 * ```ts
 * const server = await startOllamaServer({ port: 0, models: [tinyModel()] });
 * ```
 */
export function tinyModel(): OfflineModel {
  const dir = defaultModelDir("tiny");
  return {
    name: "tiny:latest",
    dir,
    ...describePreset("tiny", {
      format: "onnx",
      quantization: "F32",
      fileType: 0,
      note: "modelo local de la forja del kit (bigramas del corpus), no un GGUF de Ollama",
    }),
    async present() {
      try {
        const stamp = JSON.parse(await Deno.readTextFile(join(dir, STAMP_FILE)));
        return stamp.hash === await forgeContentHash("tiny");
      } catch {
        return false;
      }
    },
    async build(note) {
      await ensureModel("tiny", { log: note });
    },
    async backend() {
      return await localBackend({ model: "tiny" });
    },
    // tiny's tokenizer carries the Llama-2 chat template: what /api/chat and a non-raw
    // /api/generate apply.
    template: LLAMA2_OLLAMA_TEMPLATE,
  };
}
