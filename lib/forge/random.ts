/**
 * Seeded, per-tensor random numbers: a tensor's values depend only on (seed, tensor name),
 * so any tensor can be regenerated on demand and nothing has to stay in memory.
 *
 * @module
 */

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Fills a new Float32Array with uniform values in [center - range, center + range], from a
 * xoshiro128** stream seeded by `seed` and `key`.
 *
 * @example
 * ```ts
 * seededUniform(42, "model.norm.weight", 4, 0.1, 1); // 4 values in [0.9, 1.1]
 * ```
 */
export function seededUniform(
  seed: number,
  key: string,
  length: number,
  range: number,
  center = 0,
): Float32Array {
  const st = { s: fnv1a(`${seed}:${key}`) };
  let a = splitmix32(st), b = splitmix32(st), c = splitmix32(st), d = splitmix32(st);
  const out = new Float32Array(length);
  const k = (2 * range) / 4294967296;
  const base = center - range;
  for (let i = 0; i < length; i++) {
    const r = Math.imul(b, 5);
    const x = (Math.imul((r << 7) | (r >>> 25), 9)) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    out[i] = base + x * k;
  }
  return out;
}
