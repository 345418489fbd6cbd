/**
 * Small statistics for noisy measurements: best, median, spread, and a ratio that says
 * which side of a target it lands on.
 *
 * @module
 */

/**
 * The smallest value (the least disturbed run of a timing).
 *
 * @example
 * ```ts
 * best([3, 1, 2]); // 1
 * ```
 */
export function best(values: number[]): number {
  if (values.length === 0) throw new RangeError("best() of no values");
  return Math.min(...values);
}

/**
 * The largest value (the least disturbed run of a rate such as tok/s).
 *
 * @example
 * ```ts
 * highest([3, 1, 2]); // 3
 * ```
 */
export function highest(values: number[]): number {
  if (values.length === 0) throw new RangeError("highest() of no values");
  return Math.max(...values);
}

/**
 * The median (mean of the two middle values for an even count).
 *
 * @example
 * ```ts
 * median([5, 1, 3, 2]); // 2.5
 * ```
 */
export function median(values: number[]): number {
  if (values.length === 0) throw new RangeError("median() of no values");
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Relative spread of repeated measurements: (max − min) ÷ median, the noise figure the
 * report prints next to each ratio.
 *
 * @example
 * ```ts
 * spread([9, 10, 11]); // 0.2
 * ```
 */
export function spread(values: number[]): number {
  if (values.length === 0) return 0;
  return (Math.max(...values) - Math.min(...values)) / median(values);
}
