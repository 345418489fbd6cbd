/**
 * ggml's block formats for the GGUF files, following ggml's reference quantizers (the ones
 * used "for deterministic creation of model files"). Rows are cut into blocks of 32 weights:
 *
 * - Q8_0 (34 bytes): fp16 scale d = max|x| / 127, then 32 int8 q = round(x / d).
 * - Q4_0 (18 bytes): fp16 scale d = m / -8 where m is the value of largest magnitude (sign
 *   kept), then 16 bytes of nibbles q = min(15, trunc(x / d + 8.5)); weight j of the block is
 *   in the low nibble of byte j and weight j + 16 in the high nibble; x ≈ (q - 8) · d.
 *
 * Arithmetic is rounded to float32 at each step as in the C code, so the bytes match.
 *
 * @module
 */
import { bytesOf, halfToFloat, toFloat16Bytes } from "./quantize.ts";

const QK = 32;
const f = Math.fround;

/** C's roundf: halves away from zero. */
function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** Writes the fp16 scales (one per block) at the start of each block. */
function putScales(out: Uint8Array, scales: Float32Array, blockBytes: number) {
  const h = toFloat16Bytes(scales);
  for (let i = 0; i < scales.length; i++) {
    out[i * blockBytes] = h[2 * i];
    out[i * blockBytes + 1] = h[2 * i + 1];
  }
}

function checkLength(n: number) {
  if (n % QK !== 0) throw new Error(`row length ${n} is not a multiple of ${QK}`);
}

/**
 * Quantizes float32 values (a whole row-major matrix whose rows are multiples of 32 long) to
 * Q8_0 blocks.
 *
 * @example
 * ```ts
 * quantizeQ8_0(new Float32Array(32).fill(1)).length; // 34
 * ```
 */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  checkLength(x.length);
  const nb = x.length / QK;
  const out = new Uint8Array(nb * 34);
  const q = new Int8Array(out.buffer);
  const scales = new Float32Array(nb);
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[i * QK + j]));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    scales[i] = d;
    for (let j = 0; j < QK; j++) q[i * 34 + 2 + j] = roundf(f(x[i * QK + j] * id));
  }
  putScales(out, scales, 34);
  return out;
}

/**
 * Quantizes float32 values to Q4_0 blocks (see the module notes for the layout).
 *
 * @example
 * ```ts
 * quantizeQ4_0(new Float32Array(64)).length; // 36
 * ```
 */
export function quantizeQ4_0(x: Float32Array): Uint8Array {
  checkLength(x.length);
  const nb = x.length / QK;
  const out = new Uint8Array(nb * 18);
  const scales = new Float32Array(nb);
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = x[i * QK + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f(max / -8);
    const id = d ? f(1 / d) : 0;
    scales[i] = d;
    for (let j = 0; j < QK / 2; j++) {
      const x0 = f(x[i * QK + j] * id);
      const x1 = f(x[i * QK + QK / 2 + j] * id);
      const q0 = Math.min(15, Math.trunc(f(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(f(x1 + 8.5)));
      out[i * 18 + 2 + j] = q0 | (q1 << 4);
    }
  }
  putScales(out, scales, 18);
  return out;
}

/** Float32 values back from Q8_0 blocks (x = q · d). */
export function dequantizeQ8_0(b: Uint8Array): Float32Array {
  const nb = b.length / 34;
  const out = new Float32Array(nb * QK);
  const q = new Int8Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < nb; i++) {
    const d = halfToFloat(b[i * 34] | (b[i * 34 + 1] << 8));
    for (let j = 0; j < QK; j++) out[i * QK + j] = q[i * 34 + 2 + j] * d;
  }
  return out;
}

/** Float32 values back from Q4_0 blocks (x = (q - 8) · d). */
export function dequantizeQ4_0(b: Uint8Array): Float32Array {
  const nb = b.length / 18;
  const out = new Float32Array(nb * QK);
  for (let i = 0; i < nb; i++) {
    const d = halfToFloat(b[i * 18] | (b[i * 18 + 1] << 8));
    for (let j = 0; j < QK / 2; j++) {
      const byte = b[i * 18 + 2 + j];
      out[i * QK + j] = ((byte & 0xf) - 8) * d;
      out[i * QK + j + QK / 2] = ((byte >> 4) - 8) * d;
    }
  }
  return out;
}

/** The bytes of `x` in a GGUF tensor type (F32, F16, Q8_0 or Q4_0). */
export function encodeGgml(type: "F32" | "F16" | "Q8_0" | "Q4_0", x: Float32Array): Uint8Array {
  if (type === "F32") return bytesOf(x);
  if (type === "F16") return toFloat16Bytes(x);
  return type === "Q8_0" ? quantizeQ8_0(x) : quantizeQ4_0(x);
}
