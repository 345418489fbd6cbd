/** Memory arithmetic of the session: weights per dtype, KV cache. */

/** Weight formats the kit teaches, as transformers.js names them. */
export type Dtype = "fp32" | "fp16" | "q8" | "q4";

/** Bytes per parameter for each dtype (q4: 4 bits; block scales ignored, as the slides do). */
export const BYTES_PER_PARAM: Record<Dtype, number> = { fp32: 4, fp16: 2, q8: 1, q4: 0.5 };

/**
 * Bytes the weights of a model with `params` parameters take in `dtype`.
 *
 * @example
 * ```ts
 * estimateWeightsBytes(7e9, "fp16"); // 14e9
 * ```
 */
export function estimateWeightsBytes(params: number, dtype: Dtype): number {
  return params * BYTES_PER_PARAM[dtype];
}

/** One row of the "does it fit?" table. */
export interface DtypeFit {
  dtype: Dtype;
  weightsGB: number;
  fitsRam: boolean;
  /** null when there is no GPU. */
  fitsVram: boolean | null;
}

/**
 * For each dtype: the weights of a `params`-parameter model in GB (10^9 bytes) and whether
 * they fit in the given free RAM and VRAM (weights only: activations and KV cache come on top).
 *
 * @example
 * ```ts
 * dtypeFits(7e9, { ramBytes: 24e9 }).find((r) => r.dtype === "fp32")?.fitsRam; // false
 * ```
 */
export function dtypeFits(
  params: number,
  { ramBytes, vramBytes }: { ramBytes: number; vramBytes?: number },
): DtypeFit[] {
  return (Object.keys(BYTES_PER_PARAM) as Dtype[]).map((dtype) => {
    const bytes = estimateWeightsBytes(params, dtype);
    return {
      dtype,
      weightsGB: bytes / 1e9,
      fitsRam: bytes <= ramBytes,
      fitsVram: vramBytes === undefined ? null : bytes <= vramBytes,
    };
  });
}
