// deno-lint-ignore-file no-explicit-any
/**
 * What the forge's numerical tests share: the prompt they feed, and the raw ONNX session of a
 * model loaded by transformers.js run on it (logits and present.* tensors), float16 outputs
 * read as numbers.
 */
import { env, Tensor } from "@huggingface/transformers";

/** The token ids every logits test feeds (in the vocabulary of every preset). */
export const PROMPT_IDS = [1, 405, 557, 852, 337, 389, 17, 200, 911, 33];

/** Points transformers.js at a model folder; returns the model id to use. */
export function useDir(dir: string): string {
  env.localModelPath = dir.slice(0, dir.lastIndexOf("/") + 1);
  return dir.slice(dir.lastIndexOf("/") + 1);
}

/** An IEEE half read as a number. */
export function f16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** A tensor's data as numbers (float16 data decoded). */
export function toNumbers(data: unknown): number[] {
  if (data instanceof Uint16Array) return Array.from(data, f16ToNumber);
  return Array.from(data as ArrayLike<number>, Number);
}

/** One session run: logits [S][V] and the present.* tensors. */
export interface Step {
  logits: number[][];
  present: Record<string, Tensor>;
}

type Session = {
  run(feeds: Record<string, unknown>): Promise<Record<string, any>>;
  inputNames: string[];
};

/** Runs the raw ONNX session of a loaded model: logits [S][V] and present.* tensors. */
export async function runSession(
  model: any,
  ids: number[],
  past: Record<string, Tensor> | null,
  pastLen: number,
): Promise<Step> {
  const session: Session = model.sessions.model;
  const cfg = model.config;
  const S = ids.length;
  const kv = cfg.num_key_value_heads, D = cfg.hidden_size / cfg.num_attention_heads;
  const feeds: Record<string, unknown> = {
    input_ids: new Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, S]).ort_tensor,
    attention_mask:
      new Tensor("int64", new BigInt64Array(pastLen + S).fill(1n), [1, pastLen + S]).ort_tensor,
    position_ids:
      new Tensor("int64", BigInt64Array.from(ids.map((_, i) => BigInt(pastLen + i))), [1, S])
        .ort_tensor,
  };
  const fp16 =
    model.sessions.model.inputMetadata?.find((m: { name: string }) =>
      m.name === "past_key_values.0.key"
    )
      ?.type === "float16";
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    for (const kind of ["key", "value"]) {
      const name = `past_key_values.${l}.${kind}`;
      feeds[name] = past ? past[`present.${l}.${kind}`].ort_tensor : new Tensor(
        fp16 ? "float16" : "float32",
        fp16 ? new Uint16Array(0) : new Float32Array(0),
        [1, kv, 0, D],
      )
        .ort_tensor;
    }
  }
  const out = await session.run(feeds);
  const V = cfg.vocab_size;
  const flat = toNumbers(out.logits.data ?? out.logits.cpuData);
  const logits = Array.from({ length: S }, (_, i) => flat.slice(i * V, (i + 1) * V));
  const present: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(out)) if (k.startsWith("present")) present[k] = new Tensor(v);
  return { logits, present };
}

/** Index of the largest value. */
export const argmax = (v: number[]) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
/** Largest |a − b| over two matrices. */
export const maxAbsDiff = (a: number[][], b: number[][] | Float64Array[]) => {
  let m = 0;
  a.forEach((row, i) => row.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i][j])))));
  return m;
};
