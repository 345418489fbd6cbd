/**
 * A forge preset as the Ollama stand-in serves it now: a GGUF file run by llama.cpp, the
 * engine inside Ollama. `ollama pull <preset>` makes the GGUF (the forge writes it, its notes
 * go out as pull statuses, then the file is read back as a layer with its sha256), and
 * generation, timings and memory are llama.cpp's. Where node-llama-cpp has no binary for the
 * platform, the same model is generated with onnxruntime instead and the stand-in says so
 * (`X-Kit-Engine` header, /api/show's model_info).
 *
 * @module
 */
import { basename, join } from "node:path";
import {
  defaultGgufPath,
  ensureGguf,
  getPreset,
  GGUF_DIR,
  GGUF_FILE_TYPE,
  ggufIsCurrent,
  type GgufVariant,
  PRESETS,
} from "../../../forge/mod.ts";
import { OUT_DIR } from "../../../core/paths.ts";
import type { Backend, Dtype } from "../../../core/types.ts";
import { createOptimizedBackend } from "../../optimized/backend.ts";
import { llamaCppUnavailable } from "./llama_cpp.ts";
import { llamaCppBackend } from "./llama_cpp_backend.ts";
import { describePreset, LLAMA2_OLLAMA_TEMPLATE, type OfflineModel } from "./models.ts";

export { LLAMA2_OLLAMA_TEMPLATE } from "./models.ts";

/** Stop strings of the Llama-2 chat format (Modelfile `PARAMETER stop`). */
export const LLAMA2_STOP = ["[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"];

const ORT_DTYPE: Record<GgufVariant, Dtype> = { f32: "fp32", f16: "fp16", q8_0: "q8", q4_0: "q4" };

/** The engine line the stand-in shows: "llama.cpp", or onnxruntime and why. */
export async function standInEngine(): Promise<string> {
  const why = await llamaCppUnavailable();
  return why === null
    ? "llama.cpp"
    : `onnxruntime (sustituye a llama.cpp, que no está disponible aquí: ${why})`;
}

/** Options of {@link ggufModel}. */
export interface GgufModelOptions {
  /** Forge preset (e.g. "tiny", "kit-es"). */
  preset: string;
  /** GGUF variant (Ollama's default quantization is q4_0). */
  variant: GgufVariant;
  /** Ollama name (default "<preset>:latest"). */
  name?: string;
  /** llama.cpp threads (default: cores − 1). */
  threads?: number;
  /** Folder of its GGUF (default `.cache/gguf/<preset>-<variant>/`). */
  dir?: string;
}

/**
 * The stand-in's model for a preset in one GGUF variant.
 *
 * @example
 * ```ts
 * const server = await startOllamaServer({ port: 0, models: [ggufModel({ preset: "tiny", variant: "q8_0" })] });
 * ```
 */
export function ggufModel(opts: GgufModelOptions): OfflineModel & { engine(): Promise<string> } {
  const { preset, variant } = opts;
  const dir = opts.dir ?? join(GGUF_DIR, `${preset}-${variant}`);
  const path = defaultGgufPath(preset, variant, dir);
  const name = opts.name ?? `${preset}:latest`;
  return {
    name,
    dir,
    ...describePreset(preset, {
      format: "gguf",
      quantization: variant.toUpperCase(),
      fileType: GGUF_FILE_TYPE[variant],
      note: "GGUF de la forja del kit, ejecutado por llama.cpp (el motor de Ollama); " +
        "no es un modelo descargado de ollama.com",
    }),
    present: () => ggufIsCurrent(preset, path),
    async build(note) {
      await ensureGguf(preset, variant, { dir, log: note });
    },
    engine: standInEngine,
    async backend(): Promise<Backend> {
      if (await llamaCppUnavailable() === null) {
        return await llamaCppBackend({
          preset,
          variant,
          modelPath: path,
          model: name,
          threads: opts.threads,
        });
      }
      return await createOptimizedBackend({
        model: preset,
        dtype: ORT_DTYPE[variant],
        device: "cpu",
      });
    },
    template: LLAMA2_OLLAMA_TEMPLATE,
  };
}

/** Options of {@link modelfileText}. */
export interface ModelfileOptions {
  /** The GGUF path as FROM gives it (absolute, or relative to the Modelfile). */
  from: string;
  /** SYSTEM message (default: a short Spanish one). */
  system?: string;
  /** Context length (PARAMETER num_ctx). */
  numCtx?: number;
}

/**
 * A Modelfile for a real Ollama (`ollama create <name> -f Modelfile`), following Ollama's
 * Modelfile reference: FROM a GGUF file, TEMPLATE in Go template syntax with the Llama-2 chat
 * format (Ollama adds `<s>` itself, as the GGUF's add_bos_token says), one `PARAMETER stop`
 * line per stop string, greedy decoding, and SYSTEM.
 *
 * @example
 * ```ts
 * modelfileText({ from: "./kit-es-q4_0.gguf" }).startsWith("FROM ./kit-es-q4_0.gguf"); // true
 * ```
 */
export function modelfileText(opts: ModelfileOptions): string {
  const system = opts.system ?? "Eres un asistente breve que responde en español.";
  return [
    `FROM ${opts.from}`,
    `TEMPLATE """${LLAMA2_OLLAMA_TEMPLATE}"""`,
    ...LLAMA2_STOP.map((s) => `PARAMETER stop "${s}"`),
    "PARAMETER temperature 0",
    ...(opts.numCtx ? [`PARAMETER num_ctx ${opts.numCtx}`] : []),
    `SYSTEM """${system}"""`,
    "",
  ].join("\n");
}

/** The preset a real Ollama should import: the class's kit-es when the forge has it, else tiny. */
export function classPreset(): string {
  return "kit-es" in PRESETS ? "kit-es" : "tiny";
}

/**
 * Writes `<out>/<preset>/` with the preset's GGUF (built if needed) and a Modelfile that
 * imports it (`FROM ./<preset>-<variant>.gguf`); returns the folder, the Modelfile's text and
 * the commands that import and run it in a real Ollama.
 *
 * @example
 * ```ts
 * const { dir, commands } = await writeModelfileFolder("kit-es", "q4_0");
 * ```
 */
export async function writeModelfileFolder(
  preset: string,
  variant: GgufVariant = "q4_0",
  out = join(OUT_DIR, "ollama"),
  log: (line: string) => void = console.log,
): Promise<{ dir: string; modelfile: string; commands: string[] }> {
  const p = getPreset(preset);
  const gguf = await ensureGguf(p.name, variant, { log });
  const dir = join(out, p.name);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(gguf, join(dir, basename(gguf)));
  const modelfile = modelfileText({
    from: `./${basename(gguf)}`,
    numCtx: Math.min(p.shape.max_position_embeddings, 2048),
  });
  await Deno.writeTextFile(join(dir, "Modelfile"), modelfile);
  return {
    dir,
    modelfile,
    commands: [
      `cd ${dir}`,
      `ollama create ${p.name} -f Modelfile`,
      `ollama run ${p.name} "¿Qué es la cuantización?"`,
    ],
  };
}
