/**
 * A GGUF (version 3) file writer: the container llama.cpp and Ollama load. Layout, all
 * little-endian: "GGUF", version u32, tensor count u64, metadata count u64; metadata
 * key/value pairs (key = u64 length + UTF-8 bytes, then a u32 value type and the value);
 * tensor infos (name, number of dims u32, dims u64 with the fastest-varying first, ggml type
 * u32, offset u64 into the data section); padding to the alignment (32); then each tensor's
 * bytes, each starting at a multiple of the alignment. Tensors are streamed one at a time.
 *
 * @module
 */
import { writeAll } from "./_files.ts";

/** ggml tensor types the forge writes (their numbers in ggml's `enum ggml_type`). */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;

/** One of {@link GGML_TYPE}'s names. */
export type GgmlTypeName = keyof typeof GGML_TYPE;

/** Weights per block and bytes per block of each type (Q8_0: fp16 scale + 32 int8). */
export const GGML_BLOCK: Record<GgmlTypeName, { weights: number; bytes: number }> = {
  F32: { weights: 1, bytes: 4 },
  F16: { weights: 1, bytes: 2 },
  Q4_0: { weights: 32, bytes: 18 },
  Q8_0: { weights: 32, bytes: 34 },
};

/** A metadata value with its GGUF type. */
export type GgufValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: string[] }
  | { type: "f32[]"; value: ArrayLike<number> }
  | { type: "i32[]"; value: ArrayLike<number> };

/** A tensor to write: its GGUF name, dims (fastest first), type and how to make its bytes. */
export interface GgufTensor {
  name: string;
  /** ggml `ne`: for a row-major [rows, cols] matrix this is [cols, rows]. */
  dims: number[];
  type: GgmlTypeName;
  /** Produces the tensor's bytes (called once, while writing). */
  data(): Uint8Array;
}

/** GGUF's default data alignment. */
export const GGUF_ALIGNMENT = 32;

const VALUE_TYPE = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;

/** Bytes one tensor takes in the file (without padding). */
export function ggmlBytes(type: GgmlTypeName, dims: number[]): number {
  const n = dims.reduce((a, b) => a * b, 1);
  const b = GGML_BLOCK[type];
  if (dims[0] % b.weights !== 0) {
    throw new Error(`${type} needs rows of a multiple of ${b.weights} values, got ${dims[0]}`);
  }
  return (n / b.weights) * b.bytes;
}

const pad = (n: number) => (GGUF_ALIGNMENT - (n % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;

/** Growing little-endian byte buffer for the header. */
class Header {
  #buf = new Uint8Array(1 << 16);
  #view = new DataView(this.#buf.buffer);
  length = 0;
  #room(n: number) {
    if (this.length + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.length + n));
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
  u32(v: number) {
    this.#room(4);
    this.#view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number) {
    this.#room(4);
    this.#view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number) {
    this.#room(8);
    this.#view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f32(v: number) {
    this.#room(4);
    this.#view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u8(v: number) {
    this.#room(1);
    this.#buf[this.length++] = v;
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.#room(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }
}

function writeValue(h: Header, v: GgufValue) {
  switch (v.type) {
    case "u32":
      h.u32(VALUE_TYPE.u32), h.u32(v.value);
      return;
    case "i32":
      h.u32(VALUE_TYPE.i32), h.i32(v.value);
      return;
    case "f32":
      h.u32(VALUE_TYPE.f32), h.f32(v.value);
      return;
    case "bool":
      h.u32(VALUE_TYPE.bool), h.u8(v.value ? 1 : 0);
      return;
    case "string":
      h.u32(VALUE_TYPE.string), h.str(v.value);
      return;
    case "string[]":
      h.u32(VALUE_TYPE.array), h.u32(VALUE_TYPE.string), h.u64(v.value.length);
      for (const s of v.value) h.str(s);
      return;
    case "f32[]":
      h.u32(VALUE_TYPE.array), h.u32(VALUE_TYPE.f32), h.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) h.f32(v.value[i]);
      return;
    case "i32[]":
      h.u32(VALUE_TYPE.array), h.u32(VALUE_TYPE.i32), h.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) h.i32(v.value[i]);
      return;
  }
}

function headerBytes(metadata: [string, GgufValue][], tensors: GgufTensor[]): Uint8Array {
  const h = new Header();
  h.u32(0x46554747); // "GGUF" read as a little-endian u32
  h.u32(3);
  h.u64(tensors.length);
  h.u64(metadata.length);
  for (const [key, value] of metadata) {
    h.str(key);
    writeValue(h, value);
  }
  let offset = 0;
  for (const t of tensors) {
    h.str(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(GGML_TYPE[t.type]);
    h.u64(offset);
    const n = ggmlBytes(t.type, t.dims);
    offset += n + pad(n);
  }
  for (let i = pad(h.length); i > 0; i--) h.u8(0);
  return h.bytes();
}

/** Size of the GGUF file these metadata and tensors make. */
export function ggufBytes(metadata: [string, GgufValue][], tensors: GgufTensor[]): number {
  let n = headerBytes(metadata, tensors).length;
  for (const t of tensors) {
    const b = ggmlBytes(t.type, t.dims);
    n += b + pad(b);
  }
  return n;
}

/**
 * Writes a GGUF file, streaming the tensors one at a time; returns its size in bytes.
 *
 * @example
 * ```ts
 * await writeGguf("m.gguf", [["general.architecture", { type: "string", value: "llama" }]], []);
 * ```
 */
export async function writeGguf(
  path: string,
  metadata: [string, GgufValue][],
  tensors: GgufTensor[],
): Promise<number> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const head = headerBytes(metadata, tensors);
    await writeAll(file, head);
    let total = head.length;
    for (const t of tensors) {
      const data = t.data();
      const expected = ggmlBytes(t.type, t.dims);
      if (data.length !== expected) {
        throw new Error(`${t.name}: ${data.length} bytes, expected ${expected}`);
      }
      await writeAll(file, data);
      const p = pad(data.length);
      if (p) await writeAll(file, new Uint8Array(p));
      total += data.length + p;
    }
    return total;
  } finally {
    file.close();
  }
}
