/**
 * The LLM.int8() idea on one weight matrix, measured: quantize to int8 with one absmax scale
 * per row, with and without keeping the columns that hold outliers in higher precision, and
 * compare the relative error of the matrix–vector product. Pure arithmetic, no library.
 *
 * @module
 */

/** A seeded pseudo-random generator (mulberry32) returning normals (Box–Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** The result of {@link int8OutlierDemo}. */
export interface OutlierDemo {
  rows: number;
  cols: number;
  /** Columns with outliers (kept in fp16 in the second variant). */
  columns: number;
  /** Relative error ‖y − ŷ‖ / ‖y‖ of W·x with every column in int8. */
  errorPlain: number;
  /** The same with the outlier columns kept in higher precision. */
  errorKept: number;
}

/**
 * Builds a `rows × cols` matrix of small normal weights plus `outlierCols` columns ~`scale`
 * times larger (as in the hidden states LLM.int8() describes), an input vector, and measures
 * the int8 error with and without keeping those columns out of the int8 part.
 *
 * @example
 * ```ts
 * const d = int8OutlierDemo();
 * d.errorKept < d.errorPlain; // true
 * ```
 */
export function int8OutlierDemo(
  { rows = 256, cols = 256, outlierCols = 4, scale = 60, seed = 7 } = {},
): OutlierDemo {
  const rnd = normals(seed);
  const outliers = new Set(Array.from({ length: outlierCols }, (_, i) => (i * 61 + 5) % cols));
  const w = Array.from(
    { length: rows },
    () => Array.from({ length: cols }, (_, j) => rnd() * 0.02 * (outliers.has(j) ? scale : 1)),
  );
  const x = Array.from({ length: cols }, () => rnd());
  const exact = w.map((r) => r.reduce((s, v, j) => s + v * x[j], 0));
  const run = (keep: boolean) =>
    w.map((r) => {
      const inInt8 = r.map((v, j) => (keep && outliers.has(j) ? 0 : v));
      const absmax = Math.max(...inInt8.map(Math.abs)) || 1;
      const s = absmax / 127;
      return r.reduce((acc, v, j) => {
        const q = keep && outliers.has(j) ? v : Math.round(v / s) * s;
        return acc + q * x[j];
      }, 0);
    });
  const err = (y: number[]) =>
    Math.sqrt(y.reduce((s, v, i) => s + (v - exact[i]) ** 2, 0)) /
    Math.sqrt(exact.reduce((s, v) => s + v * v, 0));
  return {
    rows,
    cols,
    columns: outliers.size,
    errorPlain: err(run(false)),
    errorKept: err(run(true)),
  };
}

/**
 * LLM.int8()'s matrix multiplication on real inputs: `inputs` (one vector per token) times
 * `weight` (row-major out × in), quantized vector-wise to int8 (one absmax scale per token and
 * one per output row), with the input features in `keep` multiplied in full precision instead
 * (the mixed-precision decomposition). Returns ‖Y − Ŷ‖ / ‖Y‖ over all tokens.
 *
 * @example
 * ```ts
 * int8MatmulError([new Float32Array([1, 50])], new Float32Array([0.1, 0.2]), 1, 2, [1]); // ≈ 0
 * ```
 */
export function int8MatmulError(
  inputs: Float32Array[],
  weight: Float32Array,
  outFeatures: number,
  inFeatures: number,
  keep: number[] = [],
): number {
  const kept = new Uint8Array(inFeatures);
  for (const i of keep) kept[i] = 1;
  const q = (v: number, s: number) => (s === 0 ? 0 : Math.round(v / s) * s);
  // Per output row: the int8 scale over the features that stay in int8, and the row quantized.
  const wq = new Float32Array(weight.length);
  for (let o = 0; o < outFeatures; o++) {
    let m = 0;
    for (let i = 0; i < inFeatures; i++) {
      if (!kept[i]) m = Math.max(m, Math.abs(weight[o * inFeatures + i]));
    }
    for (let i = 0; i < inFeatures; i++) {
      const v = weight[o * inFeatures + i];
      wq[o * inFeatures + i] = kept[i] ? v : q(v, m / 127);
    }
  }
  let num = 0;
  let den = 0;
  for (const x of inputs) {
    let m = 0;
    for (let i = 0; i < inFeatures; i++) if (!kept[i]) m = Math.max(m, Math.abs(x[i]));
    const xq = x.map((v, i) => (kept[i] ? v : q(v, m / 127)));
    for (let o = 0; o < outFeatures; o++) {
      let y = 0;
      let yq = 0;
      for (let i = 0; i < inFeatures; i++) {
        y += weight[o * inFeatures + i] * x[i];
        yq += wq[o * inFeatures + i] * xq[i];
      }
      num += (y - yq) ** 2;
      den += y * y;
    }
  }
  return Math.sqrt(num / den);
}

/**
 * The input features LLM.int8() would keep out of int8: those where some token's value
 * reaches `threshold` in magnitude (6 in the paper), largest first.
 */
export function outlierFeatures(inputs: Float32Array[], threshold = 6): number[] {
  const n = inputs[0]?.length ?? 0;
  const max = new Float32Array(n);
  for (const x of inputs) for (let i = 0; i < n; i++) max[i] = Math.max(max[i], Math.abs(x[i]));
  return [...max.keys()].filter((i) => max[i] >= threshold).sort((a, b) => max[b] - max[a]);
}
