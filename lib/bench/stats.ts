/**
 * Small statistics for noisy measurements: best, spread, and a ratio that says which side of
 * a target it lands on. The median is the kit's one (lib/measure/stats.ts).
 *
 * @module
 */
import { median } from "../measure/stats.ts";

export { median };

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
