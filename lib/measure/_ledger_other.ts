/**
 * Internal: the ledger's other checks — hardware (this machine, published datasheets),
 * quantization and Accelerate/BitsAndBytes (formulas, measured quality), speed (reference runs,
 * published figures, Groq measured online) and the methods' own claims.
 */
import { OLLAMA_DEFAULT_HOST } from "../core/config.ts";
import type { Dtype } from "../core/types.ts";
import {
  type Check,
  es,
  FORMULA,
  GB,
  HERE,
  type LedgerContext,
  llama7b,
  numericVerdict,
  REASON,
  type Verdict,
} from "./_ledger_base.ts";
import { loadPublished, published } from "./provenance.ts";
import { referenceResults } from "./reference.ts";

const pub = (ctx: LedgerContext, id: string) => published(id, ctx.published ?? loadPublished());

function fileRatio(ctx: LedgerContext, dtype: Dtype): string {
  const a = ctx.fileBytes?.fp32;
  const b = ctx.fileBytes?.[dtype];
  return a && b
    ? `; archivo ${dtype} del modelo del kit: ${es(b / a, 2)} × el de fp32 (${HERE})`
    : "";
}

/**
 * A quality claim ("FP16: ~mismo rendimiento", "INT8: ligera pérdida") against kit-es measured
 * here: validation perplexity beside fp32's and, when given, the share of next-token choices
 * equal to fp32's. Perplexity alone can hide a change: on an over-confident small model the
 * rounding noise can even lower it, while the model's choices still move.
 */
export function qualityCheck(
  ctx: LedgerContext,
  dtype: "fp16" | "q8",
  limits: { same: number; slight: number },
): Check {
  const base = ctx.perplexity?.fp32;
  const ppl = ctx.perplexity?.[dtype];
  if (!base || !ppl) {
    return {
      kit: "sin medir",
      origin: "pendiente",
      verdict: "pendiente",
      why: "Falta la perplejidad por dtype del modelo entrenado del kit (kit-es): sin ella no " +
        "hay veredicto. Cuando el cuaderno 02 la mida, esta fila la usará.",
    };
  }
  const rel = ppl / base - 1;
  const agree = ctx.agreement?.[dtype];
  const changed = agree === undefined ? null : 1 - agree;
  const kit =
    `kit-es: perplejidad ${es(ppl, 3)} frente a ${es(base, 3)} en fp32 (${rel >= 0 ? "+" : ""}${
      es(100 * rel, 2)
    } %)` +
    (agree === undefined ? "" : `; elige el mismo token que fp32 el ${es(100 * agree, 1)} %`);
  const changeText = changed === null
    ? ""
    : ` El ${es(100 * changed, 1)} % de los tokens que predice cambia respecto a fp32.`;
  if (dtype === "fp16") {
    const same = Math.abs(rel) <= limits.same && (changed === null || changed <= limits.same);
    return {
      kit,
      origin: HERE,
      verdict: same ? "correcto" : "aproximado",
      why: `Diferencia de perplejidad medida: ${es(100 * rel, 2)} %.${changeText}`,
    };
  }
  // "Ligera pérdida": some loss (perplexity up, or the model's choices moved), but small.
  const lost = Math.max(rel, changed ?? 0);
  const verdict: Verdict = lost <= 0
    ? "aproximado"
    : lost <= limits.slight
    ? "correcto"
    : lost <= 3 * limits.slight
    ? "aproximado"
    : "incorrecto";
  return {
    kit,
    origin: HERE,
    verdict,
    why: lost <= 0
      ? "No se mide pérdida alguna en este modelo."
      : `Perplejidad: ${rel >= 0 ? "+" : ""}${es(100 * rel, 2)} %.${changeText}` +
        (rel <= 0 && changed ? " La pérdida está en las elecciones, no en la perplejidad." : ""),
  };
}

/** Hardware, quantization, speed and methods claims, by id. */
export const OTHER_CHECKS: Record<string, (ctx: LedgerContext) => Check> = {
  "cpu-nucleos": (ctx) => {
    if (!ctx.machine) {
      return { kit: "sin datos de la máquina", origin: "pendiente", verdict: "pendiente", why: "" };
    }
    const cores = ctx.machine.cpuCores;
    const ghz = ctx.cpuMHz ? ctx.cpuMHz / 1000 : null;
    const inRange = cores >= 8 && cores <= 16 && (ghz === null || (ghz >= 2 && ghz <= 4));
    return {
      kit: `esta máquina: ${cores} núcleos${ghz ? `, ${es(ghz, 2)} GHz` : ""}`,
      origin: HERE,
      verdict: inRange ? "correcto" : "aproximado",
      why: "Es el rango de un PC de escritorio; un servidor tiene decenas o cientos de núcleos. " +
        "Para un LLM pesa más el ancho de banda de memoria que el número de núcleos.",
    };
  },
  "gpu-nucleos": (ctx) => {
    const t4 = pub(ctx, "t4-cores");
    const t4c = pub(ctx, "t4-boost-mhz");
    const h = pub(ctx, "h100-cores");
    const hc = pub(ctx, "h100-boost-mhz");
    const here = ctx.machine?.gpus.length ? `; GPU aquí: ${ctx.machine.gpus[0].name}` : "";
    return {
      kit: `T4: ${es(t4.value, 0)} núcleos, ${es(t4c.value / 1000, 2)} GHz; H100/H200: ` +
        `${es(h.value, 0)} núcleos, ${es(hc.value / 1000, 2)} GHz${here}`,
      origin: `${t4.label}; ${h.label}`,
      verdict: "aproximado",
      why: "El orden de magnitud es el de la T4 de Colab, pero las GPUs actuales pasan de 16 000 " +
        "núcleos y su frecuencia máxima es de 1,6–2 GHz, no ~1 GHz.",
    };
  },
  "no-cabe-imposible": () => ({
    kit: "—",
    origin: REASON,
    verdict: "aproximado",
    why: "Con offload a CPU (la propia sesión lo enseña con Accelerate) o leyendo pesos del " +
      "disco sí se ejecuta, aunque mucho más lento. En la GPU sola, sí: lo que no cabe no corre.",
  }),
  "t4-16gb": (ctx) => {
    const f = pub(ctx, "t4-vram");
    return {
      kit: `${es(f.value, 0)} ${f.unit}`,
      origin: f.label,
      verdict: numericVerdict(16, f.value),
      why: "Colab gratuito ofrece la T4 cuando hay disponibilidad; no está garantizada.",
    };
  },
  "hub-500k": (ctx) => {
    const f = pub(ctx, "hf-hub-models");
    return {
      kit: `más de ${es(f.value, 0)} ${f.unit}`,
      origin: f.label,
      verdict: f.value >= 500_000 ? "correcto" : "incorrecto",
      why: "«+500k» es una cota inferior: la cifra ya se ha superado.",
    };
  },
  "fp16-mitad": (ctx) => ({
    kit: `2 bytes por parámetro frente a 4: ×0,5${fileRatio(ctx, "fp16")}`,
    origin: FORMULA,
    verdict: "correcto",
    why: "La memoria de los pesos es parámetros × bytes por parámetro.",
  }),
  "fp16-calidad": (ctx) => qualityCheck(ctx, "fp16", { same: 0.01, slight: 0.05 }),
  "int8-cuarto": (ctx) => ({
    kit: `1 byte por parámetro frente a 4: ×0,25${fileRatio(ctx, "q8")}`,
    origin: FORMULA,
    verdict: "correcto",
    why: "Un cuarto de FP32 (y la mitad de FP16); las escalas de cuantización añaden muy poco.",
  }),
  "int8-calidad": (ctx) => qualityCheck(ctx, "q8", { same: 0.01, slight: 0.05 }),
  "tabla-28-14-7": () => {
    const m = llama7b();
    const claimed: [Dtype, number][] = [["fp32", 28], ["fp16", 14], ["q8", 7]];
    const worst = claimed.map(([d, v]) => numericVerdict(v, m.w(d) / 1e9));
    const verdict: Verdict = worst.includes("incorrecto")
      ? "incorrecto"
      : worst.includes("aproximado")
      ? "aproximado"
      : "correcto";
    return {
      kit: claimed.map(([d]) => `${d} ${GB(m.w(d))}`).join(" · "),
      origin: FORMULA,
      verdict,
      why: `Redondeado a 7 000 M parámetros; Llama-2-7b tiene ${es(m.params / 1e6, 0)} M.`,
    };
  },
  "bnb-criticos": (ctx) => {
    const o = ctx.outliers;
    const k = ctx.kitEsInt8;
    const pct = (x: number) => `${es(100 * x, 2)} %`;
    const real = k
      ? `; en kit-es, ${k.withOutliers.length} de ${k.linearLayers} capas lineales tienen rasgos ` +
        `atípicos (|x| ≥ 6)${
          k.withOutliers.map((l) =>
            `: ${l.name} (${l.features}), error ${pct(l.errorPlain)} → ${pct(l.errorKept)}`
          ).join("")
        }`
      : "";
    return {
      kit: o
        ? `error int8 de una matriz con ${o.columns} columnas atípicas: ${es(o.errorPlain, 4)} ` +
          `sin separarlas, ${es(o.errorKept, 4)} dejándolas en fp16${real}`
        : "sin demostración aquí",
      origin: o
        ? (k ? `${HERE}; ${pub(ctx, "llm-int8-emergence").label}` : HERE)
        : pub(ctx, "bnb-int8-memory").label,
      verdict: o ? (o.errorKept < o.errorPlain ? "correcto" : "incorrecto") : "correcto",
      why: "LLM.int8() multiplica en 16 bits las columnas con valores atípicos y el resto en " +
        "8 bits (documentación de bitsandbytes)." +
        (k
          ? " En un modelo tan pequeño como kit-es casi no hay rasgos atípicos: el artículo de " +
            `LLM.int8() los ve aparecer de forma sistemática a partir de unos ${
              es(pub(ctx, "llm-int8-emergence").value, 0)
            } M de parámetros.`
          : ""),
    };
  },
  "offload-cpu": () => ({
    kit: "sin equivalente en el kit",
    origin: REASON,
    verdict: "correcto",
    why: "Accelerate (device_map) reparte capas entre GPU, CPU y disco. transformers.js admite " +
      "un dispositivo por sesión (en modelos de varias sesiones) y onnxruntime pasa a la CPU los " +
      "nodos que la GPU no soporta, pero un Llama es una sola sesión: no se reparten capas por memoria.",
  }),
  "checkpointing": () => ({
    kit: "—",
    origin: REASON,
    verdict: "incorrecto",
    why: "El gradient checkpointing ahorra memoria al entrenar (recalcula activaciones en el " +
      "paso hacia atrás). En inferencia no hay paso hacia atrás ni activaciones guardadas.",
  }),
  "int8-75": (ctx) => {
    const f = pub(ctx, "bnb-int8-memory");
    return {
      kit: "−75 % frente a FP32; −50 % frente a FP16",
      origin: `${FORMULA}; ${f.label}`,
      verdict: "aproximado",
      why:
        "Solo frente a FP32. En GPU el punto de partida habitual es FP16, y frente a él 8 bits " +
        "ahorra la mitad (bitsandbytes: «only half the required memory»).",
    };
  },
  "fp16-velocidad": (ctx) => {
    const cpu = ctx.cpuTokensPerSecond;
    const cpuNote = cpu?.fp16 && cpu?.fp32
      ? ` En la CPU de esta máquina (${HERE}): fp16 ${es(cpu.fp16)} tok/s, fp32 ${es(cpu.fp32)}.`
      : "";
    const ref = ctx.reference?.[0];
    const r16 = ref ? referenceResults(ref, "kit-webgpu", "fp16")[0] : undefined;
    const r32 = ref ? referenceResults(ref, "kit-webgpu", "fp32")[0] : undefined;
    if (ref && r16?.decodeTokensPerSecond && r32?.decodeTokensPerSecond) {
      const x = r16.decodeTokensPerSecond / r32.decodeTokensPerSecond;
      const p = r16.prefillTokensPerSecond && r32.prefillTokensPerSecond
        ? r16.prefillTokensPerSecond / r32.prefillTokensPerSecond
        : null;
      return {
        kit: `GPU: fp16 ${es(x, 2)} × la velocidad de fp32 al generar` +
          (p ? `, ${es(p, 2)} × al procesar el prompt` : ""),
        origin: ref.label,
        verdict: x >= 1.2 ? "correcto" : "aproximado",
        why: x >= 1.2
          ? `Medido en la GPU de referencia: la mitad de bytes por token se nota.${cpuNote}`
          : "Medido en la GPU de referencia: al generar, el kit lanza unos 260 kernels pequeños " +
            "por token y ese coste, no leer los pesos, marca el ritmo, así que fp16 apenas " +
            `cambia la velocidad; donde hay cálculo de verdad (el prompt) sí acelera.${cpuNote}`,
      };
    }
    return {
      kit: "en GPU, hasta ×2 al decodificar (la mitad de bytes por token)",
      origin: REASON,
      verdict: "aproximado",
      why: "Al decodificar se leen todos los pesos por token: la mitad de bytes acelera en GPU. " +
        `En CPU, onnxruntime no calcula en fp16 y no acelera.${cpuNote}`,
    };
  },
  "cabe-t4": () => {
    const m = llama7b();
    const int8 = m.w("q8") + m.kv16(m.ctx) + m.act16;
    return {
      kit: `8 bits: ${GB(int8)}; FP16: ${GB(m.total16)} (lote 1, ${m.ctx} tokens)`,
      origin: FORMULA,
      verdict: int8 <= 16e9 ? "correcto" : "incorrecto",
      why: `En 8 bits cabe con holgura en 16 GB; en FP16 no, con el contexto entero.`,
    };
  },
  "velocidad-optima": (ctx) => {
    const f = pub(ctx, "bnb-int8-slower");
    return {
      kit: f.unit,
      origin: f.label,
      verdict: "incorrecto",
      why: "LLM.int8() ahorra memoria, no tiempo: separar los valores atípicos cuesta cálculo.",
    };
  },
  "pipeline-3-lineas": () => ({
    kit: "import + pipeline(...) + llamada (cuaderno 01)",
    origin: REASON,
    verdict: "correcto",
    why: "Son tres líneas también en TypeScript.",
  }),
  "pipeline-sin-opt": (ctx) => ({
    kit: `el pipeline usa los valores por defecto${
      ctx.pipelineDefaultDtype ? ` (aquí, dtype ${ctx.pipelineDefaultDtype})` : ""
    } y acepta { dtype, device }`,
    origin: ctx.pipelineDefaultDtype ? HERE : REASON,
    verdict: "aproximado",
    why: "No es que no pueda optimizar: usa lo que elige la biblioteca. El método 2 consiste en " +
      "elegir dtype y dispositivo y reutilizar lo cargado.",
  }),
  "velocidad-limitada": (ctx) => {
    const ref = ctx.reference?.[0];
    const m1 = ref?.results.find((r) => r.ok && r.runtime === "kit-pipeline");
    const m2 = ref
      ? referenceResults(ref, "kit-webgpu", "q4").find((r) => (r.graph ?? "fused") === "fused")
      : undefined;
    if (!ref || !m1?.decodeTokensPerSecond || !m2?.decodeTokensPerSecond) {
      return {
        kit: "sin ejecución de referencia en una máquina con GPU",
        origin: "pendiente",
        verdict: "pendiente",
        why:
          "Lo decidiría el mismo modelo con los valores por defecto y con dtype y dispositivo elegidos en una GPU.",
      };
    }
    const x = m2.decodeTokensPerSecond / m1.decodeTokensPerSecond;
    return {
      kit:
        `valores por defecto (${m1.dtype}, ${m1.device}): ${
          es(m1.decodeTokensPerSecond, 1)
        } tok/s; ` +
        `método 2 (q4, webgpu): ${es(m2.decodeTokensPerSecond, 1)} tok/s (×${es(x, 1)})`,
      origin: ref.label,
      verdict: x >= 2 ? "correcto" : "aproximado",
      why:
        "En una máquina con GPU, el pipeline con sus valores por defecto generó en la CPU y en " +
        "fp32. No es un límite del pipeline: con { dtype, device } la misma biblioteca usa la GPU.",
    };
  },
  "groq-500": (ctx) => {
    const s = pub(ctx, "groq-llama3-8b-tps");
    const b = pub(ctx, "groq-llama3-70b-tps");
    const g = ctx.groq?.mode === "online" && ctx.groq.tokensPerSecond
      ? `; Groq medido aquí: ${es(ctx.groq.tokensPerSecond, 0)} tok/s`
      : "";
    return {
      kit: `Llama 3 8B: ${es(s.value, 0)} tok/s; Llama 3 70B: ${es(b.value, 0)} tok/s${g}`,
      origin: g ? `${s.label}; ${HERE}` : s.label,
      verdict: "aproximado",
      why: "Depende del modelo: cierto para los pequeños, no para los de 70B." +
        (g ? "" : " Sin conexión el kit no puede medir Groq: el sustituto local no es Groq."),
    };
  },
  "groq-100ms": (ctx) => {
    const t = ctx.groq?.mode === "online" ? ctx.groq.ttftMs : null;
    if (t === null || t === undefined) {
      return {
        kit: "sin medir",
        origin: "pendiente",
        verdict: "pendiente",
        why: "Solo se puede medir contra Groq de verdad (con clave y red); el sustituto local no " +
          "dice nada de la latencia de Groq.",
      };
    }
    return {
      kit: `primer token a los ${es(t, 0)} ms (mediana, desde esta red)`,
      origin: HERE,
      verdict: t < 100 ? "correcto" : t < 135 ? "aproximado" : "incorrecto",
      why: "Incluye la red entre esta máquina y Groq.",
    };
  },
  "ollama-11434": () => ({
    kit: `dirección por defecto del kit: ${OLLAMA_DEFAULT_HOST}`,
    origin: "configuración del kit",
    verdict: OLLAMA_DEFAULT_HOST.endsWith(":11434") ? "correcto" : "incorrecto",
    why: "Es el puerto por defecto de ollama serve (cámbialo con OLLAMA_HOST).",
  }),
};
