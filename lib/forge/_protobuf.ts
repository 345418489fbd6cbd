/**
 * A minimal Protocol Buffers writer: just what the forge needs to encode ONNX messages
 * (varints, 64-bit ints, floats, length-delimited bytes and sub-messages).
 *
 * @module
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const encoder = new TextEncoder();

/** Appends protobuf fields to a growing byte list; `finish()` returns the encoded message. */
export class ProtoWriter {
  #parts: Uint8Array[] = [];
  #bytes: number[] = [];

  #flush(): void {
    if (this.#bytes.length > 0) {
      this.#parts.push(Uint8Array.from(this.#bytes));
      this.#bytes = [];
    }
  }

  #varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    if (v < 0x80n) {
      this.#bytes.push(Number(v));
      return;
    }
    while (v >= 0x80n) {
      this.#bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#bytes.push(Number(v));
  }

  #tag(field: number, wire: number): void {
    this.#varint((field << 3) | wire);
  }

  /** Writes an int32/int64/enum/bool field (negative values as 10-byte two's complement). */
  int(field: number, value: number | bigint): this {
    this.#tag(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  /** Writes a 32-bit float field. */
  float(field: number, value: number): this {
    this.#tag(field, WIRE_I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.#bytes.push(...b);
    return this;
  }

  /** Writes a length-delimited bytes field (also used for sub-messages). */
  bytes(field: number, data: Uint8Array): this {
    this.#tag(field, WIRE_LEN);
    this.#varint(data.length);
    this.#flush();
    this.#parts.push(data);
    return this;
  }

  /** Writes a UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  /** Returns the encoded message. */
  finish(): Uint8Array {
    this.#flush();
    const total = this.#parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of this.#parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}
