/**
 * GGUF files of the forge's presets, for llama.cpp (node-llama-cpp) and a real Ollama:
 * `.cache/gguf/<preset>-<variant>.gguf`, written from the same tokenizer and weights as the
 * ONNX and safetensors files. Each file is written under a temporary name and renamed when
 * complete; a `<file>.json` stamp beside it records the forge's content hash, so a file made
 * by other code (or cut short) is rebuilt, never used.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { CACHE_DIR } from "../core/paths.ts";
import { weightsAndTokenizer } from "./build.ts";
import type { Bpe } from "./bpe.ts";
import { ensureFreeSpace, ensureWritableParent } from "./disk.ts";
import { forgeContentHash } from "./ensure.ts";
import { ForgeError } from "./errors.ts";
import { ggufBytes, writeGguf } from "./gguf_file.ts";
import { GGUF_VARIANTS, type GgufVariant, llamaGguf } from "./gguf_llama.ts";
import { getPreset, type LlamaShape, validateShape } from "./presets.ts";

/** Folder of the forge's GGUF files. */
export const GGUF_DIR: string = join(CACHE_DIR, "gguf");

/** Default path of a preset's GGUF file, e.g. `.cache/gguf/tiny-q4_0.gguf`. */
export function defaultGgufPath(preset: string, variant: GgufVariant, dir = GGUF_DIR): string {
  return join(dir, `${preset}-${variant}.gguf`);
}

/** Options of {@link buildGguf} and {@link ensureGguf}. */
export interface GgufOptions {
  /** Folder to write into (default {@link GGUF_DIR}). */
  dir?: string;
  /** Override hyper-parameters (validated like the presets'). */
  shape?: Partial<LlamaShape>;
  /** Progress lines (Spanish); default console.log. */
  log?: (line: string) => void;
}

/** What one GGUF build wrote. */
export interface GgufReport {
  path: string;
  variant: GgufVariant;
  bytes: number;
  seconds: number;
}

/** The vocabulary and merges of a tokenizer.json (the forge's BPE, trained or committed). */
function bpeOf(json: unknown): Bpe {
  const model = (json as { model: { vocab: Record<string, number>; merges: unknown[] } }).model;
  const merges = model.merges.map((m) =>
    (typeof m === "string" ? m.split(" ") : m) as [string, string]
  );
  return { vocab: new Map(Object.entries(model.vocab)), merges };
}

function checkVariants(variants: readonly string[]): GgufVariant[] {
  for (const v of variants) {
    if (!(GGUF_VARIANTS as readonly string[]).includes(v)) {
      throw new ForgeError(`Variante GGUF desconocida: "${v}" (${GGUF_VARIANTS.join(", ")}).`);
    }
  }
  return [...new Set(variants)] as GgufVariant[];
}

/**
 * Writes `preset`'s GGUF files (one per variant), checking the free disk space for all of
 * them first. Returns one report per file.
 *
 * @example
 * ```ts
 * await buildGguf("tiny", ["f16", "q4_0"]);
 * ```
 */
export async function buildGguf(
  presetName: string,
  variants: readonly GgufVariant[],
  opts: GgufOptions = {},
): Promise<GgufReport[]> {
  const preset = getPreset(presetName);
  const list = checkVariants(variants);
  const shape: LlamaShape = { ...preset.shape, ...opts.shape };
  validateShape(shape);
  const log = opts.log ?? console.log;
  const dir = opts.dir ?? GGUF_DIR;
  await ensureWritableParent(join(dir, "x"));
  const { source, tokenizer } = await weightsAndTokenizer(preset, shape);
  const bpe = bpeOf(tokenizer["tokenizer.json"]);
  const plans = list.map((v) => ({ v, plan: llamaGguf(preset.name, shape, bpe, source, v) }));
  const needed = plans.reduce((n, p) => n + ggufBytes(p.plan.metadata, p.plan.tensors), 0);
  await ensureFreeSpace(dir, needed);
  const hash = await forgeContentHash(preset.name);
  const reports: GgufReport[] = [];
  for (const { v, plan } of plans) {
    const path = defaultGgufPath(preset.name, v, dir);
    const tmp = `${path}.partial-${Deno.pid}-${Date.now()}`;
    const t0 = performance.now();
    try {
      await Deno.remove(`${path}.json`).catch(() => {});
      const bytes = await writeGguf(tmp, plan.metadata, plan.tensors);
      await Deno.rename(tmp, path);
      const seconds = (performance.now() - t0) / 1000;
      await Deno.writeTextFile(
        `${path}.json`,
        JSON.stringify({ preset: preset.name, variant: v, shape, hash, bytes }, null, 2) + "\n",
      );
      log(
        `  ${path.slice(dirname(dir).length + 1)}: ${(bytes / 1e6).toFixed(1)} MB en ${
          seconds.toFixed(1)
        } s`,
      );
      reports.push({ path, variant: v, bytes, seconds });
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  }
  return reports;
}

/**
 * True when `path` is a complete GGUF made by the current forge for `preset`: its stamp has
 * the current content hash and its size, and the file starts with "GGUF".
 */
export async function ggufIsCurrent(preset: string, path: string): Promise<boolean> {
  try {
    const stamp = JSON.parse(await Deno.readTextFile(`${path}.json`));
    const stat = await Deno.stat(path);
    if (stamp.hash !== await forgeContentHash(preset) || stat.size !== stamp.bytes) return false;
    const f = await Deno.open(path);
    try {
      const head = new Uint8Array(4);
      return (await f.read(head)) === 4 && new TextDecoder().decode(head) === "GGUF";
    } finally {
      f.close();
    }
  } catch {
    return false;
  }
}

/**
 * Returns the path of `preset`'s GGUF in `variant`, building it first (with a Spanish
 * message) when it is missing, cut short or made by other code.
 *
 * @example
 * ```ts
 * const path = await ensureGguf("tiny", "q4_0"); // …/.cache/gguf/tiny-q4_0.gguf
 * ```
 */
export async function ensureGguf(
  preset: string,
  variant: GgufVariant,
  opts: GgufOptions = {},
): Promise<string> {
  checkVariants([variant]);
  const path = defaultGgufPath(getPreset(preset).name, variant, opts.dir);
  if (!opts.shape && await ggufIsCurrent(preset, path)) return path;
  const log = opts.log ?? console.log;
  log(`Fabricando el GGUF «${preset}» ${variant} en ${path} (solo la primera vez)…`);
  await buildGguf(preset, [variant], { ...opts, log });
  return path;
}
