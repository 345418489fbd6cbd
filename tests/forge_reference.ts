/**
 * Test-side references for the forge, written independently of lib/forge: a safetensors
 * parser, a reader of ONNX initializers (a tiny protobuf decoder), a plain-TypeScript Llama
 * forward pass (HF LlamaForCausalLM semantics, float64) and the bigram successor oracle.
 *
 * @module
 */

/** One tensor read back from a file: dtype name, shape and values as float64. */
export interface ReadTensor {
  dtype: string;
  shape: number[];
  values: Float64Array;
}

/** IEEE binary16 → number (sign, 5-bit exponent, 10-bit mantissa; subnormals, inf, NaN). */
function half(h: number): number {
  const sign = h >> 15 ? -1 : 1, exp = (h >> 10) & 31, frac = h & 1023;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return exp ? sign * 2 ** (exp - 15) * (1 + frac / 1024) : sign * 2 ** -14 * (frac / 1024);
}

/** Parses a safetensors file: header length, JSON header, then F32/F16 tensors by offsets. */
export function readSafetensors(
  bytes: Uint8Array,
): { header: Record<string, unknown>; tensors: Map<string, ReadTensor> } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const base = 8 + n;
  const tensors = new Map<string, ReadTensor>();
  for (const [name, meta] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets } = meta as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    if (dtype !== "F32" && dtype !== "F16") throw new Error(`unexpected dtype ${dtype}`);
    const count = shape.reduce((a, b) => a * b, 1);
    const width = dtype === "F32" ? 4 : 2;
    if (data_offsets[1] - data_offsets[0] !== width * count) {
      throw new Error(`${name}: bad offsets`);
    }
    const values = new Float64Array(count);
    const at = base + data_offsets[0];
    for (let i = 0; i < count; i++) {
      values[i] = width === 4
        ? dv.getFloat32(at + 4 * i, true)
        : half(dv.getUint16(at + 2 * i, true));
    }
    tensors.set(name, { dtype, shape, values });
  }
  return { header, tensors };
}

// --- protobuf decoding (just enough for ModelProto → GraphProto → TensorProto) ---

interface Field {
  no: number;
  wire: number;
  int?: bigint;
  bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let p = 0;
  const varint = (): bigint => {
    let r = 0n, shift = 0n;
    for (;;) {
      const b = buf[p++];
      r |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return r;
      shift += 7n;
    }
  };
  while (p < buf.length) {
    const key = Number(varint());
    const no = key >> 3, wire = key & 7;
    if (wire === 0) yield { no, wire, int: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      yield { no, wire, bytes: buf.subarray(p, p + len) };
      p += len;
    } else if (wire === 5) p += 4;
    else if (wire === 1) p += 8;
    else throw new Error(`wire type ${wire}`);
  }
}

/** An ONNX initializer as stored: name, data type id, dims and raw bytes. */
export interface OnnxInitializer {
  name: string;
  dataType: number;
  dims: number[];
  raw: Uint8Array;
}

/** Reads every initializer of an .onnx file (resolving external data next to it). */
export async function readOnnxInitializers(path: string): Promise<Map<string, OnnxInitializer>> {
  const model = await Deno.readFile(path);
  const dir = path.slice(0, path.lastIndexOf("/") + 1);
  const out = new Map<string, OnnxInitializer>();
  const externalFiles = new Map<string, Uint8Array>();
  for (const f of fields(model)) {
    if (f.no !== 7) continue;
    for (const g of fields(f.bytes!)) {
      if (g.no !== 5) continue;
      const t: OnnxInitializer = { name: "", dataType: 0, dims: [], raw: new Uint8Array(0) };
      const ext: Record<string, string> = {};
      for (const h of fields(g.bytes!)) {
        if (h.no === 1) t.dims.push(Number(h.int));
        else if (h.no === 2) t.dataType = Number(h.int);
        else if (h.no === 8) t.name = new TextDecoder().decode(h.bytes);
        else if (h.no === 9) t.raw = h.bytes!;
        else if (h.no === 13) {
          const kv: string[] = [];
          for (const e of fields(h.bytes!)) kv[e.no - 1] = new TextDecoder().decode(e.bytes);
          ext[kv[0]] = kv[1];
        }
      }
      if (ext.location) {
        if (!externalFiles.has(ext.location)) {
          externalFiles.set(ext.location, await Deno.readFile(dir + ext.location));
        }
        const data = externalFiles.get(ext.location)!;
        t.raw = data.subarray(Number(ext.offset), Number(ext.offset) + Number(ext.length));
      }
      out.set(t.name, t);
    }
  }
  return out;
}

/** Float32 values of a FLOAT initializer. */
export function floatValues(t: OnnxInitializer): Float32Array {
  if (t.dataType !== 1) throw new Error(`${t.name} is not FLOAT`);
  return new Float32Array(t.raw.slice().buffer);
}

// --- reference forward ---

/** Hyper-parameters the reference forward needs (HF config.json names). */
export interface RefConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  rms_norm_eps: number;
  rope_theta: number;
}

/** y[n] = sum_k W[n,k] x[k] for an HF linear weight W [N, K]. */
function linear(W: Float64Array, x: Float64Array, N: number, K: number): Float64Array {
  const y = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    const base = n * K;
    for (let k = 0; k < K; k++) s += W[base + k] * x[k];
    y[n] = s;
  }
  return y;
}

function rmsNorm(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * w[i]);
}

/**
 * Logits [S, vocab] of HF LlamaForCausalLM for one sequence (positions 0..S-1, full causal
 * attention), computed in float64 from HF-named weights.
 */
export function referenceForward(
  c: RefConfig,
  w: (name: string) => Float64Array,
  ids: number[],
): Float64Array[] {
  const H = c.hidden_size, heads = c.num_attention_heads, kvh = c.num_key_value_heads;
  const D = H / heads, groups = heads / kvh;
  const emb = w("model.embed_tokens.weight");
  let xs = ids.map((t) => emb.slice(t * H, (t + 1) * H));
  const rope = (v: Float64Array, pos: number) => {
    const out = new Float64Array(v.length);
    for (let h = 0; h < v.length / D; h++) {
      for (let i = 0; i < D; i++) {
        const f = i % (D / 2);
        const angle = pos * (1 / Math.pow(c.rope_theta, (2 * f) / D));
        const rot = i < D / 2 ? -v[h * D + i + D / 2] : v[h * D + i - D / 2];
        out[h * D + i] = v[h * D + i] * Math.cos(angle) + rot * Math.sin(angle);
      }
    }
    return out;
  };
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const hs = xs.map((x) => rmsNorm(x, w(`${p}.input_layernorm.weight`), c.rms_norm_eps));
    const q = hs.map((h, i) => rope(linear(w(`${p}.self_attn.q_proj.weight`), h, heads * D, H), i));
    const k = hs.map((h, i) => rope(linear(w(`${p}.self_attn.k_proj.weight`), h, kvh * D, H), i));
    const v = hs.map((h) => linear(w(`${p}.self_attn.v_proj.weight`), h, kvh * D, H));
    const attnOut = xs.map((_, i) => {
      const ctx = new Float64Array(heads * D);
      for (let h = 0; h < heads; h++) {
        const g = Math.floor(h / groups);
        const scores = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += q[i][h * D + d] * k[j][g * D + d];
          scores.push(s / Math.sqrt(D));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) {
          for (let d = 0; d < D; d++) ctx[h * D + d] += (e[j] / z) * v[j][g * D + d];
        }
      }
      return linear(w(`${p}.self_attn.o_proj.weight`), ctx, H, heads * D);
    });
    xs = xs.map((x, i) => x.map((val, d) => val + attnOut[i][d]));
    xs = xs.map((x) => {
      const m = rmsNorm(x, w(`${p}.post_attention_layernorm.weight`), c.rms_norm_eps);
      const gate = linear(w(`${p}.mlp.gate_proj.weight`), m, c.intermediate_size, H);
      const up = linear(w(`${p}.mlp.up_proj.weight`), m, c.intermediate_size, H);
      const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[i]);
      const down = linear(w(`${p}.mlp.down_proj.weight`), act, H, c.intermediate_size);
      return x.map((val, d) => val + down[d]);
    });
  }
  return xs.map((x) =>
    linear(w("lm_head.weight"), rmsNorm(x, w("model.norm.weight"), c.rms_norm_eps), c.vocab_size, H)
  );
}

// --- bigram oracle ---

/**
 * The greedy continuation a bigram model of `sequences` gives after `last`: repeatedly the
 * successor seen most often after the current token; ties go to the token seen most often in
 * the corpus overall, then to the smaller id.
 */
export function bigramChain(sequences: number[][], last: number, steps: number): number[] {
  const pairs = new Map<number, Map<number, number>>();
  const unigram = new Map<number, number>();
  for (const seq of sequences) {
    seq.forEach((t, i) => {
      unigram.set(t, (unigram.get(t) ?? 0) + 1);
      if (i + 1 < seq.length) {
        const row = pairs.get(t) ?? new Map<number, number>();
        row.set(seq[i + 1], (row.get(seq[i + 1]) ?? 0) + 1);
        pairs.set(t, row);
      }
    });
  }
  const better = (a: [number, number], b: [number, number]) =>
    a[1] > b[1] ||
    (a[1] === b[1] && (unigram.get(a[0]) ?? 0) > (unigram.get(b[0]) ?? 0)) ||
    (a[1] === b[1] && (unigram.get(a[0]) ?? 0) === (unigram.get(b[0]) ?? 0) && a[0] < b[0]);
  const chain: number[] = [];
  let cur = last;
  for (let s = 0; s < steps; s++) {
    const row = pairs.get(cur);
    let best: [number, number] | null = null;
    const candidates: [number, number][] = row
      ? [...row.entries()]
      : [...unigram.keys()].map((t) => [t, 0]);
    for (const cand of candidates) if (!best || better(cand, best)) best = cand;
    cur = best![0];
    chain.push(cur);
  }
  return chain;
}

// --- dequantization, written from the operator specs ---

/**
 * Dequantizes com.microsoft MatMulNBits 4-bit weights: B uint8 [N, blocks, blockSize/2], two
 * values per byte (element 2i in the low nibble), scales [N * blocks], zero point 8 when the
 * zero_points input is absent; w[n, k] = (q - 8) * scale[n, k / blockSize]. Returns W [N, K].
 */
export function dequantizeMatMulNBits(
  packed: Uint8Array,
  scales: Float32Array,
  N: number,
  K: number,
  blockSize: number,
): Float64Array {
  const blocks = Math.ceil(K / blockSize);
  const w = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize), j = k % blockSize;
      const byte = packed[(n * blocks + b) * (blockSize / 2) + (j >> 1)];
      const q = j % 2 === 0 ? byte & 0x0f : byte >> 4;
      w[n * K + k] = (q - 8) * scales[n * blocks + b];
    }
  }
  return w;
}

/** Weights of a q4 model file in HF layout: MatMulNBits weights and int8 embedding dequantized. */
export function q4WeightGetter(
  inits: Map<string, OnnxInitializer>,
  inFeatures: (name: string) => number,
): (name: string) => Float64Array {
  return (name) => {
    const packed = inits.get(`${name}.q4`);
    if (packed) {
      const [N, , half] = packed.dims;
      const scales = floatOrHalfValues(inits.get(`${name}.q4_scales`)!);
      const K = inFeatures(name);
      return dequantizeMatMulNBits(packed.raw, scales, N, K, half * 2);
    }
    const int8 = inits.get(`${name}.int8`);
    if (int8) {
      const [rows, cols] = int8.dims;
      const q = new Int8Array(int8.raw.slice().buffer);
      const scale = floatValues(inits.get(`${name}.scale`)!);
      return Float64Array.from(q, (v, i) => v * scale[Math.floor(i / cols)]).subarray(
        0,
        rows * cols,
      );
    }
    return Float64Array.from(floatValues(inits.get(name)!));
  };
}

/** Float values of a FLOAT or FLOAT16 initializer. */
export function floatOrHalfValues(t: OnnxInitializer): Float32Array {
  if (t.dataType === 1) return floatValues(t);
  if (t.dataType !== 10) throw new Error(`${t.name} is not FLOAT/FLOAT16`);
  const h = new Uint16Array(t.raw.slice().buffer);
  return Float32Array.from(h, (x) => {
    const s = x & 0x8000 ? -1 : 1, e = (x >> 10) & 0x1f, m = x & 0x3ff;
    if (e === 0) return s * m * 2 ** -24;
    if (e === 31) return m ? NaN : s * Infinity;
    return s * (1 + m / 1024) * 2 ** (e - 15);
  });
}
