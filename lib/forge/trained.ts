/**
 * Weights of a trained preset (kit-es): the committed model.safetensors (F16, F32 or BF16,
 * Hugging Face Llama names), checked against the SHA-256 recorded beside it before anything
 * is built. A missing or altered file is an error that names the file and says how to restore
 * it; the forge never falls back to other weights.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { ROOT } from "../core/paths.ts";
import { ForgeError } from "./errors.ts";
import type { LlamaShape } from "./presets.ts";
import { llamaTensors } from "./tensors.ts";
import type { WeightSource } from "./weights.ts";
import { halfToFloat } from "./quantize.ts";

/** File names inside a trained preset's folder. */
export const TRAINED_FILES = {
  weights: "model.safetensors",
  hash: "model.safetensors.sha256",
  tokenizer: ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"],
} as const;

const RETRAIN = "o vuelve a entrenarlo (README: «Reentrenar kit-es»)";

function restoreHint(dir: string, file: string): string {
  const rel = relative(ROOT, join(dir, file));
  return `Restáuralo con \`git checkout -- ${rel}\` ${RETRAIN}.`;
}

/** The SHA-256 recorded in `<weights>.sha256` (`<hex>  model.safetensors`). */
export async function recordedHash(dir: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, TRAINED_FILES.hash));
  } catch {
    throw new ForgeError(
      `Falta ${relative(ROOT, join(dir, TRAINED_FILES.hash))}, el hash de los pesos de kit-es. ` +
        restoreHint(dir, TRAINED_FILES.hash),
    );
  }
  const hex = text.trim().split(/\s+/)[0];
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new ForgeError(
      `${relative(ROOT, join(dir, TRAINED_FILES.hash))} no contiene un SHA-256. ` +
        restoreHint(dir, TRAINED_FILES.hash),
    );
  }
  return hex;
}

/**
 * Reads the committed weights and checks them against the recorded SHA-256; returns the bytes.
 * Throws a Spanish {@link ForgeError} naming the file when it is missing, is a Git LFS pointer
 * or does not match.
 */
export async function readVerifiedWeights(dir: string): Promise<Uint8Array> {
  const path = join(dir, TRAINED_FILES.weights);
  const rel = relative(ROOT, path);
  const expected = await recordedHash(dir);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    throw new ForgeError(
      `Faltan los pesos entrenados de kit-es: no existe ${rel}. ${
        restoreHint(dir, TRAINED_FILES.weights)
      }`,
    );
  }
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== expected) {
    throw new ForgeError(
      `Los pesos de kit-es están dañados: el SHA-256 de ${rel} (${actual.slice(0, 12)}…) no ` +
        `coincide con el registrado (${expected.slice(0, 12)}…). ` +
        restoreHint(dir, TRAINED_FILES.weights),
    );
  }
  return bytes;
}

/**
 * A {@link WeightSource} over safetensors bytes: every tensor of `shape` must be present with
 * its exact dims (F16, BF16 or F32; converted to fp32).
 */
export function safetensorsWeights(
  bytes: Uint8Array,
  shape: LlamaShape,
  label: string,
): WeightSource {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  let base: number;
  try {
    const n = Number(dv.getBigUint64(0, true));
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    base = 8 + n;
  } catch {
    throw new ForgeError(`${label} no es un archivo safetensors legible.`);
  }
  for (const t of llamaTensors(shape)) {
    const meta = header[t.name];
    if (!meta || meta.shape.join("x") !== t.dims.join("x")) {
      throw new ForgeError(
        `${label}: el tensor ${t.name} falta o tiene otra forma ` +
          `(${meta ? meta.shape.join("×") : "ausente"}, se espera ${t.dims.join("×")}).`,
      );
    }
  }
  // Decoded once: every file the forge writes asks for every tensor again.
  const cache = new Map<string, Float32Array>();
  const decode = (name: string): Float32Array => {
    {
      const { dtype, shape: dims, data_offsets: [a, b] } = header[name];
      const n = dims.reduce((x, y) => x * y, 1);
      const width = dtype === "F32" ? 4 : 2;
      if (!["F32", "F16", "BF16"].includes(dtype) || b - a !== n * width) {
        throw new ForgeError(`${label}: el tensor ${name} (${dtype}) no se puede leer.`);
      }
      const out = new Float32Array(n);
      const at = base + a;
      if (dtype === "F32") { for (let i = 0; i < n; i++) out[i] = dv.getFloat32(at + 4 * i, true); }
      else if (dtype === "F16") {
        for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(at + 2 * i, true));
      } else {
        const u = new Uint32Array(1);
        const f = new Float32Array(u.buffer);
        for (let i = 0; i < n; i++) {
          u[0] = dv.getUint16(at + 2 * i, true) << 16;
          out[i] = f[0];
        }
      }
      return out;
    }
  };
  return {
    get(name) {
      if (!cache.has(name)) cache.set(name, decode(name));
      return cache.get(name)!.slice();
    },
  };
}

/** Verified weights of the trained model in `dir`, as a {@link WeightSource}. */
export async function trainedWeights(dir: string, shape: LlamaShape): Promise<WeightSource> {
  const bytes = await readVerifiedWeights(dir);
  return safetensorsWeights(bytes, shape, relative(ROOT, join(dir, TRAINED_FILES.weights)));
}

/** The committed tokenizer files of a trained preset (name → parsed JSON). */
export async function trainedTokenizerFiles(dir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const f of TRAINED_FILES.tokenizer) {
    try {
      out[f] = JSON.parse(await Deno.readTextFile(join(dir, f)));
    } catch {
      throw new ForgeError(
        `Falta o no se puede leer ${relative(ROOT, join(dir, f))} (tokenizador de kit-es). ` +
          restoreHint(dir, f),
      );
    }
  }
  return out;
}
