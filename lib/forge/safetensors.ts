/**
 * Writes model.safetensors (fp32, standard HF Llama tensor names), streaming one tensor at a
 * time. Format: 8-byte little-endian header length, JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}` padded with
 * spaces to a multiple of 8, then the tensors' bytes back to back.
 *
 * @module
 */
import { writeAll } from "./_files.ts";
import { bytesOf } from "./quantize.ts";
import type { TensorInfo } from "./tensors.ts";
import type { WeightSource } from "./weights.ts";

/** Size in bytes of the safetensors file for these fp32 tensors (header included). */
export function safetensorsBytes(tensors: TensorInfo[]): number {
  return header(tensors).length + 8 + tensors.reduce((n, t) => n + 4 * count(t.dims), 0);
}

const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

function header(tensors: TensorInfo[]): Uint8Array {
  const h: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const t of tensors) {
    const end = offset + 4 * count(t.dims);
    h[t.name] = { dtype: "F32", shape: t.dims, data_offsets: [offset, end] };
    offset = end;
  }
  let json = JSON.stringify(h);
  json += " ".repeat((8 - ((json.length + 8) % 8)) % 8);
  return new TextEncoder().encode(json);
}

/**
 * Streams `tensors` from `source` into a safetensors file at `path`.
 *
 * @example
 * ```ts
 * await writeSafetensors("model.safetensors", llamaTensors(shape), source);
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorInfo[],
  source: WeightSource,
): Promise<number> {
  const head = header(tensors);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let total = 0;
  try {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(head.length), true);
    await writeAll(file, len);
    await writeAll(file, head);
    total = 8 + head.length;
    for (const t of tensors) {
      const w = source.get(t.name);
      if (w.length !== count(t.dims)) throw new Error(`${t.name}: wrong size`);
      await writeAll(file, bytesOf(w));
      total += w.byteLength;
    }
  } finally {
    file.close();
  }
  return total;
}
