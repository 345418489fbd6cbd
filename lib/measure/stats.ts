/**
 * The kit's one median: of the finite numbers given, mean of the two middle values for an
 * even count. Empty input is an error (a median of nothing is not a number to report).
 *
 * @module
 */

/**
 * The median (mean of the two middle values for an even count).
 *
 * @example
 * ```ts
 * median([5, 1, 3, 2]); // 2.5
 * ```
 */
export function median(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) throw new RangeError("median() of no values");
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
