/**
 * Weight conversions for the ONNX variants: fp16, int8 per column (q8) and 4-bit blocks in
 * the com.microsoft MatMulNBits layout (q4). Inputs are Hugging Face [out, in] matrices.
 *
 * @module
 */

/** Transposes a row-major [rows, cols] matrix. */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = w[base + c];
  }
  return out;
}

const F16 = (globalThis as { Float16Array?: new (a: ArrayLike<number>) => ArrayBufferView })
  .Float16Array;

/**
 * The number an IEEE 754 half-precision bit pattern stands for (subnormals, ±Infinity and NaN
 * included).
 *
 * @example
 * ```ts
 * halfToFloat(0x3c00); // 1
 * halfToFloat(0xc000); // -2
 * ```
 */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function f32ToF16Bits(x: number, f32: Float32Array, u32: Uint32Array): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/**
 * Converts float32 values to IEEE half precision (round to nearest even); returns the raw
 * little-endian bytes.
 *
 * @example
 * ```ts
 * toFloat16Bytes(new Float32Array([1])); // Uint8Array [0, 60]
 * ```
 */
export function toFloat16Bytes(values: Float32Array): Uint8Array {
  if (F16) {
    const h = new F16(values);
    return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
  }
  const out = new Uint16Array(values.length);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i], f32, u32);
  return new Uint8Array(out.buffer);
}

/** int8 weights and one float scale per output: w ≈ q * scale. */
export interface Int8Quantized {
  q: Int8Array;
  scale: Float32Array;
}

function absMaxScale(w: Float32Array, from: number, to: number, levels: number): number {
  let m = 0;
  for (let i = from; i < to; i++) {
    const a = Math.abs(w[i]);
    if (a > m) m = a;
  }
  return m > 0 ? m / levels : 1;
}

/**
 * Symmetric int8 per row: row r of `w` [rows, cols] becomes round(w / scale[r]) with
 * scale[r] = max|w[r,:]| / 127. Layout stays [rows, cols].
 */
export function quantizeRowsInt8(w: Float32Array, rows: number, cols: number): Int8Quantized {
  const q = new Int8Array(w.length);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const s = absMaxScale(w, r * cols, (r + 1) * cols, 127);
    scale[r] = s;
    const inv = 1 / s;
    for (let c = r * cols; c < (r + 1) * cols; c++) q[c] = Math.round(w[c] * inv);
  }
  return { q, scale };
}

/**
 * Quantizes an HF linear weight [out, in] for MatMulInteger: symmetric int8 with one scale
 * per output column, returned transposed to [in, out] (ONNX MatMul's B layout).
 *
 * @example
 * ```ts
 * const { q, scale } = quantizeLinearInt8(w, outFeatures, inFeatures);
 * ```
 */
export function quantizeLinearInt8(w: Float32Array, out: number, inp: number): Int8Quantized {
  const rows = quantizeRowsInt8(w, out, inp);
  const q = new Int8Array(w.length);
  for (let n = 0; n < out; n++) {
    const base = n * inp;
    for (let k = 0; k < inp; k++) q[k * out + n] = rows.q[base + k];
  }
  return { q, scale: rows.scale };
}

/** 4-bit weights packed for MatMulNBits and their block scales. */
export interface Q4Quantized {
  /** uint8 [N, blocks, blockSize / 2]: two weights per byte, the first in the low nibble. */
  packed: Uint8Array;
  /** float [N * blocks]. */
  scales: Float32Array;
  blocks: number;
}

/**
 * Block-wise symmetric 4-bit quantization of an HF linear weight [N = out, K = in] in the
 * MatMulNBits layout: each output row is cut into blocks of `blockSize` along K (the last
 * block zero-padded); scale = max|w| / 7 per block; stored value = round(w / scale) + 8 in
 * 0..15 (no zero_points input: MatMulNBits' default zero point for 4 bits is 8).
 *
 * @example
 * ```ts
 * const { packed, scales } = quantizeQ4(w, 256, 64, 32);
 * ```
 */
export function quantizeQ4(w: Float32Array, N: number, K: number, blockSize: number): Q4Quantized {
  const blocks = Math.ceil(K / blockSize);
  const half = blockSize / 2;
  const packed = new Uint8Array(N * blocks * half);
  const scales = new Float32Array(N * blocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const from = n * K + b * blockSize;
      const to = n * K + Math.min(K, (b + 1) * blockSize);
      const s = absMaxScale(w, from, to, 7);
      scales[n * blocks + b] = s;
      const inv = 1 / s;
      const dst = (n * blocks + b) * half;
      for (let i = 0; i < blockSize; i += 2) {
        const lo = from + i < to ? Math.max(-8, Math.min(7, Math.round(w[from + i] * inv))) : 0;
        const hi = from + i + 1 < to
          ? Math.max(-8, Math.min(7, Math.round(w[from + i + 1] * inv)))
          : 0;
        packed[dst + i / 2] = (lo + 8) | ((hi + 8) << 4);
      }
    }
  }
  return { packed, scales, blocks };
}

/** Little-endian bytes of a typed array (a view, no copy). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
