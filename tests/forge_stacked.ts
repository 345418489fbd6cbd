/**
 * Reading the fused graph's stacked initializers by Hugging Face name (tests only).
 */
import { floatValues, type OnnxInitializer, type RefConfig } from "./forge_reference.ts";

/**
 * The fused graph stacks q/k/v (`self_attn.qkv_proj.weight`) and gate/up
 * (`mlp.gate_up_proj.weight`) into one matrix each. This adds, for every stacked initializer,
 * one entry per projection under its Hugging Face name, cut out of the stacked bytes (rows of
 * the 4-bit blocks and their scales; columns of a transposed fp32 matrix), so that readers by
 * HF name work on both graphs.
 */
export function unstackInitializers(
  inits: Map<string, OnnxInitializer>,
  c: RefConfig,
): Map<string, OnnxInitializer> {
  const out = new Map(inits);
  const D = c.hidden_size / c.num_attention_heads;
  const groups: [string, [string, number][]][] = [];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const a = `model.layers.${l}.self_attn`, m = `model.layers.${l}.mlp`;
    groups.push([`${a}.qkv_proj.weight`, [
      [`${a}.q_proj.weight`, c.num_attention_heads * D],
      [`${a}.k_proj.weight`, c.num_key_value_heads * D],
      [`${a}.v_proj.weight`, c.num_key_value_heads * D],
    ]]);
    groups.push([`${m}.gate_up_proj.weight`, [
      [`${m}.gate_proj.weight`, c.intermediate_size],
      [`${m}.up_proj.weight`, c.intermediate_size],
    ]]);
  }
  for (const [stacked, parts] of groups) {
    const t = inits.get(`${stacked}.T`);
    const q4 = inits.get(`${stacked}.q4`);
    const sc = inits.get(`${stacked}.q4_scales`);
    let from = 0;
    for (const [name, n] of parts) {
      if (t) { // [K, N] float: columns from..from+n
        const [K, N] = t.dims;
        const src = floatValues(t);
        const dst = new Float32Array(K * n);
        for (let k = 0; k < K; k++) dst.set(src.subarray(k * N + from, k * N + from + n), k * n);
        out.set(`${name}.T`, { name: `${name}.T`, dataType: 1, dims: [K, n], raw: bytesOf(dst) });
      }
      if (q4 && sc) { // [N, blocks, half] bytes and [N * blocks] scales: rows from..from+n
        const [, blocks, half] = q4.dims;
        const row = blocks * half;
        out.set(`${name}.q4`, {
          name: `${name}.q4`,
          dataType: q4.dataType,
          dims: [n, blocks, half],
          raw: q4.raw.subarray(from * row, (from + n) * row),
        });
        const size = sc.dataType === 10 ? 2 : 4;
        out.set(`${name}.q4_scales`, {
          name: `${name}.q4_scales`,
          dataType: sc.dataType,
          dims: [n * blocks],
          raw: sc.raw.subarray(from * blocks * size, (from + n) * blocks * size),
        });
      }
      from += n;
    }
  }
  return out;
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
