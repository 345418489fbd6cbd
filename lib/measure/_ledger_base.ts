/**
 * Internal: the ledger's types and helpers (verdict rule, Spanish numbers, the Llama-2-7b
 * running example).
 */
import type { Dtype } from "../core/types.ts";
import {
  countParams,
  estimateActivationsBytes,
  estimateWeightsBytes,
  KNOWN_CONFIGS,
  kvCacheBytes,
} from "./memory.ts";
import { figureLabel, type PublishedFigure } from "./provenance.ts";
import type { ReferenceRun } from "./reference.ts";

/** A verdict on a claim. */
export type Verdict = "correcto" | "aproximado" | "incorrecto" | "pendiente";

/** One claim as quoted in data/claims_ledger.json. */
export interface LedgerClaim {
  id: string;
  /** The title of the slide it comes from. */
  slide: string;
  /** The slide's words. */
  quote: string;
  topic: string;
  /** The notebook that teaches the topic (and shows this claim). */
  notebook: string;
}

/** A claim with what the kit says about it. */
export interface LedgerRow extends LedgerClaim {
  /** The kit's figure(s), in words. */
  kit: string;
  /** Where the kit's figure comes from (fórmula, medido aquí, hardware real, publicado…). */
  origin: string;
  verdict: Verdict;
  why: string;
}

/** What the ledger can use beyond the formulas; everything is optional. */
export interface LedgerContext {
  /** This machine (from lib/env's machineInfo()). */
  machine?: { cpuCores: number; cpuModel?: string; gpus: { name: string }[] };
  /** CPU clock of this machine in MHz (os.cpus()[0].speed). */
  cpuMHz?: number;
  /** Perplexity of the kit's trained model per dtype, measured here. */
  perplexity?: Partial<Record<Dtype, number>>;
  /**
   * Share of next-token choices (argmax) of each dtype equal to fp32's on the same validation
   * text: how much quantizing changed what the model predicts (kit-es, measured here).
   */
  agreement?: Partial<Record<Dtype, number>>;
  /** The kit model's ONNX file size per dtype, measured here. */
  fileBytes?: Partial<Record<Dtype, number>>;
  /** Decode tok/s per dtype on this machine's CPU (notebook 02). */
  cpuTokensPerSecond?: Partial<Record<Dtype, number>>;
  /** The int8 outlier demonstration of notebook 02 (relative errors). */
  outliers?: { errorPlain: number; errorKept: number; columns: number };
  /** LLM.int8() measured on kit-es's own layers (lib/forge/kit_es_activations.ts). */
  kitEsInt8?: {
    linearLayers: number;
    withOutliers: { name: string; features: number; errorPlain: number; errorKept: number }[];
  };
  /** Groq measured here (online only counts as Groq). */
  groq?: { mode: "online" | "offline"; tokensPerSecond: number | null; ttftMs: number | null };
  /** The pipeline's default dtype on this machine (notebook 01). */
  pipelineDefaultDtype?: string;
  reference?: ReferenceRun[];
  published?: PublishedFigure[];
}

/**
 * Verdict of a claimed number (or range) against the kit's figure: inside the range or within
 * 10 % → correcto; within 35 % (of the nearest end) → aproximado; otherwise incorrecto.
 *
 * @example
 * ```ts
 * numericVerdict(28, 26.95); // "correcto"
 * numericVerdict([15, 25], 1.65); // "incorrecto"
 * ```
 */
export function numericVerdict(claimed: number | [number, number], kit: number): Verdict {
  const [lo, hi] = typeof claimed === "number" ? [claimed, claimed] : claimed;
  const off = kit < lo ? lo / kit : kit > hi ? kit / hi : 1;
  return off <= 1.1 ? "correcto" : off <= 1.35 ? "aproximado" : "incorrecto";
}

/** Spanish number: decimal comma, at most `d` decimals. */
export function es(x: number, d = 1): string {
  return x.toLocaleString("es-ES", { maximumFractionDigits: d, useGrouping: x >= 10_000 });
}

export const GB = (b: number) => `${es(b / 1e9)} GB`;
export const FORMULA = figureLabel({ kind: "formula" });
export const REASON = figureLabel({ kind: "razonamiento" });
export const HERE = figureLabel({ kind: "aqui" });

/** What a check adds to a claim. */
export type Check = Omit<LedgerRow, keyof LedgerClaim>;

/** The session's running example: Llama-2-7b, batch 1, its full 4 096-token context. */
export function llama7b() {
  const c = KNOWN_CONFIGS["llama-2-7b"];
  const params = countParams(c);
  const ctx = 4096;
  const w = (d: Dtype) => estimateWeightsBytes(params, d);
  const kv16 = (t: number, batch = 1) => kvCacheBytes(c, t, batch, 2);
  const act16 = estimateActivationsBytes(c, ctx, 1, 2);
  const act32 = estimateActivationsBytes(c, ctx, 1, 4);
  return { c, params, ctx, w, kv16, act16, act32, total16: w("fp16") + kv16(ctx) + act16 };
}
