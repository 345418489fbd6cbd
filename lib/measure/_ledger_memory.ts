/** Internal: the ledger's memory checks (formulas of memory.ts on Llama-2-7b). */
import { kvCacheBytes } from "./memory.ts";
import {
  type Check,
  es,
  FORMULA,
  GB,
  type LedgerContext,
  llama7b,
  numericVerdict,
} from "./_ledger_base.ts";

/** Memory claims, by id. */
export const MEMORY_CHECKS: Record<string, (ctx: LedgerContext) => Check> = {
  "pesos-28gb": () => {
    const m = llama7b();
    return {
      kit: `${GB(m.w("fp32"))} en FP32 (${es(m.params / 1e6, 0)} M parámetros × 4 bytes)`,
      origin: FORMULA,
      verdict: numericVerdict(28, m.w("fp32") / 1e9),
      why: `Vale para FP32. Llama-2-7b se publica en FP16: ${GB(m.w("fp16"))} para cargarlo así.`,
    };
  },
  "duplica-triplica": () => {
    const m = llama7b();
    const extra = m.kv16(m.ctx) + m.act16;
    const ratio = m.total16 / m.w("fp16");
    return {
      kit: `×${es(ratio, 2)} (FP16, lote 1, ${m.ctx} tokens: caché KV ${GB(m.kv16(m.ctx))} + ` +
        `activaciones ≤ ${GB(m.act16)})`,
      origin: FORMULA,
      verdict: numericVerdict([2, 3], ratio),
      why: `Con un solo usuario no se duplica: hace falta un lote de ${
        Math.ceil(m.w("fp16") / extra)
      } secuencias de ${m.ctx} tokens para que caché y activaciones igualen a los pesos.`,
    };
  },
  "vram-40gb": () => {
    const m = llama7b();
    const total32 = m.w("fp32") + kvCacheBytes(m.c, m.ctx, 1, 4) + m.act32;
    return {
      kit: `${GB(total32)} en FP32 (pesos + caché KV + activaciones, lote 1, ${m.ctx} tokens)`,
      origin: FORMULA,
      verdict: numericVerdict(40, total32 / 1e9),
      why: "Sin optimizar (FP32) no cabe en una GPU de 24 GB; 40 GB es el siguiente tamaño " +
        "habitual (A100 de 40 GB), no un requisito exacto. En FP16 bastan unos " +
        `${GB(m.total16)}.`,
    };
  },
  "activaciones-15-25": () => {
    const m = llama7b();
    return {
      kit: `≤ ${GB(m.act16)} (FP16, lote 1, ${m.ctx} tokens, atención completa en memoria)`,
      origin: FORMULA,
      verdict: numericVerdict([15, 25], m.act16 / 1e9),
      why: "En inferencia las activaciones de una capa se liberan al pasar a la siguiente; " +
        "guardarlas todas es cosa del entrenamiento. 15 GB exigirían un lote de " +
        `${Math.ceil(15e9 / m.act16)} secuencias.`,
    };
  },
  "kv-crece": () => {
    const m = llama7b();
    return {
      kit: `${es(m.kv16(1) / 2 ** 20, 2)} MiB por token (FP16, lote 1)`,
      origin: FORMULA,
      verdict: "correcto",
      why: "2 × capas × cabezas KV × dimensión por cabeza × tokens × bytes: crece con cada token.",
    };
  },
  "total-50-80": () => {
    const m = llama7b();
    return {
      kit: `${GB(m.total16)} (FP16, lote 1, ${m.ctx} tokens)`,
      origin: FORMULA,
      verdict: numericVerdict([50, 80], m.total16 / 1e9),
      why: `50 GB se alcanzan con un lote de unas ${
        Math.ceil((50e9 - m.w("fp16")) / (m.kv16(m.ctx) + m.act16))
      } secuencias de ${m.ctx} tokens, no con una conversación.`,
    };
  },
  "kv-exponencial": () => {
    const m = llama7b();
    const r = m.kv16(8192) / m.kv16(4096);
    return {
      kit: `duplicar el contexto multiplica la caché por ${es(r, 2)}`,
      origin: FORMULA,
      verdict: r === 2 ? "incorrecto" : "aproximado",
      why: "Crece de forma lineal. Las propias cifras de la diapositiva (2K → 4 GB, 8K → 16 GB: " +
        "×4 tokens, ×4 memoria) son lineales. Lo cuadrático es el cálculo de la atención.",
    };
  },
  "kv-2k-4gb": () => {
    const m = llama7b();
    return {
      kit: `${GB(m.kv16(2048))} (FP16, lote 1)`,
      origin: FORMULA,
      verdict: numericVerdict(4, m.kv16(2048) / 1e9),
      why: `4 GB corresponden a un lote de ${Math.round(4e9 / m.kv16(2048))} secuencias ` +
        "(o FP32 y lote 2).",
    };
  },
  "kv-8k-16gb": () => {
    const m = llama7b();
    return {
      kit: `${GB(m.kv16(8192))} (FP16, lote 1)`,
      origin: FORMULA,
      verdict: numericVerdict(16, m.kv16(8192) / 1e9),
      why: `Además, Llama-2-7b admite como mucho ${m.ctx} tokens de contexto ` +
        "(max_position_embeddings).",
    };
  },
};
