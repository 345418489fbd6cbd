/**
 * The session's own tables and recommendations (quoted from the slides, data/session_claims.json)
 * beside what the kit measured, and recommendations that say where they come from: online, from
 * the measurements (differences inside the measured spread are ties, not rankings); offline,
 * from the session's reasoning and the reference data, because offline all four methods run
 * the same local model and their speeds say nothing about the real services.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";
import type { ComparisonRow, Stat } from "./compare.ts";
import { figureLabel, loadPublished, published } from "./provenance.ts";
import type { ReferenceRun } from "./reference.ts";

/** One table of the slides: its title, its header and its rows, word for word. */
export interface SlideTable {
  slide: string;
  columns: string[];
  rows: string[][];
}

/** The slides' tables, recommendations, the kit's set-up steps and a reference price. */
export interface SessionClaims {
  source: string;
  note: string;
  tables: SlideTable[];
  recommendations: {
    slide: string;
    items: { text: string; goal: string; method: number }[];
  };
  kitSetupSteps: { note: string; methods: Record<string, string[]> };
  groqPrice: { note: string; inputUsdPerMillion: number; outputUsdPerMillion: number };
}

/** Reads data/session_claims.json. */
export function loadClaims(): SessionClaims {
  return JSON.parse(readFileSync(join(ROOT, "data", "session_claims.json"), "utf8"));
}

/**
 * A slide table as rows for showTable (its own column names as keys).
 *
 * @example
 * ```ts
 * const t = loadClaims().tables[1];
 * showTable(slideTableRows(t)); // «Comparación de Métodos», word for word
 * ```
 */
export function slideTableRows(t: SlideTable): Record<string, string>[] {
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));
}

/** Two stats whose min–max ranges overlap cannot be ranked: it is a tie. */
export function overlaps(a: Stat, b: Stat): boolean {
  return a.min <= b.max && b.min <= a.max;
}

/**
 * Groups rows by a statistic (highest first when `higherIsBetter`), putting in one group the
 * rows whose measured ranges overlap a neighbour's: a group with more than one row is a tie.
 *
 * @example
 * ```ts
 * rankWithTies(rows, (r) => r.tokensPerSecond, true); // [[fast], [tied, tied], …]
 * ```
 */
export function rankWithTies<T>(
  rows: T[],
  pick: (r: T) => Stat | null,
  higherIsBetter: boolean,
): T[][] {
  const sorted = rows.filter((r) => pick(r)).sort((a, b) =>
    (higherIsBetter ? -1 : 1) * (pick(a)!.median - pick(b)!.median)
  );
  const groups: T[][] = [];
  for (const r of sorted) {
    const last = groups.at(-1);
    if (last && last.some((x) => overlaps(pick(x)!, pick(r)!))) last.push(r);
    else groups.push([r]);
  }
  return groups;
}

const f1 = (x: number) => x.toLocaleString("es-ES", { maximumFractionDigits: 1 });

/** How a method's speed can be read in this row: measured, or why not. */
function speedCell(r: ComparisonRow | undefined, method: number): string {
  if (!r || !r.tokensPerSecond) return "no medido";
  const measured = `${f1(r.tokensPerSecond.median)} tok/s (medido aquí)`;
  if (r.mode === "online") return measured;
  if (method >= 3) {
    return "no medible sin conexión: el sustituto local genera con el modelo del kit";
  }
  return `${measured}, modelo local del kit`;
}

/**
 * The «Comparación de Métodos» slide, row by row, beside what the kit measured here: speed
 * (or why it cannot be measured offline), the method's own memory (when measured), the kit's
 * set-up steps and the cost of the measured tokens.
 */
export function claimsVersusMeasured(rows: ComparisonRow[], claims = loadClaims()) {
  const table = claims.tables.find((t) => t.slide === "Comparación de Métodos")!;
  return table.rows.map((cells, i) => {
    const method = i + 1;
    const r = rows.find((x) => x.method === method);
    const tokensIn = r ? r.results.reduce((s, x) => s + x.result.tokensIn, 0) : 0;
    const tokensOut = r ? r.results.reduce((s, x) => s + x.result.tokensOut, 0) : 0;
    const usd = (tokensIn * claims.groqPrice.inputUsdPerMillion +
      tokensOut * claims.groqPrice.outputUsdPerMillion) / 1e6;
    return {
      method: `${method}. ${cells[0]}`,
      mode: r?.mode ?? "no medido",
      speedClaim: cells[1],
      speedMeasured: speedCell(r, method),
      gpuClaim: cells[2],
      memoryMeasured: r?.methodMemory
        ? r.methodMemory.bytes === null
          ? r.methodMemory.how
          : `${Math.round(r.methodMemory.bytes / 1e6)} MB (${r.methodMemory.how})`
        : "no medida",
      setupClaim: cells[3],
      setupSteps: claims.kitSetupSteps.methods[String(method)]?.length ?? 0,
      costClaim: cells[4],
      costMeasured: method === 4
        ? `${
          usd.toLocaleString("es-ES", { minimumFractionDigits: 6, maximumFractionDigits: 6 })
        } USD por ${tokensIn + tokensOut} tokens, al precio de Groq: ${
          figureLabel({ kind: "publicado", source: "Groq, groq.com/pricing" })
        }`
        : "0 (sin coste por token)",
    };
  });
}

/** Spanish headers for {@link claimsVersusMeasured} rows. */
export const CLAIMS_HEADERS = {
  method: "Método",
  mode: "Modo",
  speedClaim: "Velocidad (diapositiva)",
  speedMeasured: "Velocidad (kit)",
  gpuClaim: "Uso GPU (diapositiva)",
  memoryMeasured: "Memoria del método (medida aquí)",
  setupClaim: "Configuración (diapositiva)",
  setupSteps: "Pasos en el kit",
  costClaim: "Costo (diapositiva)",
  costMeasured: "Coste de lo medido",
} as const;

const names = (rs: ComparisonRow[]) => rs.map((r) => r.name).join(" y ");

/**
 * Recommendations. Online (every measured row online): argued from the measurements, with ties
 * called ties. Otherwise: the session's four recommendations, word for word, each with the
 * reasoning and the reference or published figure behind it, saying that the offline rows
 * cannot decide them.
 */
export function recommendations(
  rows: ComparisonRow[],
  opts: { claims?: SessionClaims; reference?: ReferenceRun[] } = {},
): string[] {
  const claims = opts.claims ?? loadClaims();
  const ok = rows.filter((r) => !r.error && r.tokensPerSecond);
  if (ok.length === 0) return ["No hay medidas suficientes para recomendar."];
  const src = (i: number) => claims.recommendations.items[i].text;
  if (ok.every((r) => r.mode === "online")) {
    const speed = rankWithTies(ok, (r) => r.tokensPerSecond, true);
    const ttft = rankWithTies(ok, (r) => r.ttftMs, false);
    const local = rankWithTies(ok.filter((r) => r.method !== 4), (r) => r.tokensPerSecond, true);
    const tie = (
      g: ComparisonRow[],
    ) => (g.length > 1 ? " (empate: sus rangos medidos se solapan)" : "");
    return [
      `_Recomendaciones a partir de lo medido aquí (todos los métodos online)._`,
      `**Para aprender:** Pipeline: el menor número de pasos (${
        claims.kitSetupSteps.methods["1"].length
      }). La sesión dice: «${src(0)}».`,
      `**Para máximo rendimiento:** ${names(speed[0])}${tie(speed[0])}: ${
        f1(speed[0][0].tokensPerSecond!.median)
      } tok/s de mediana. La sesión dice: «${src(1)}».`,
      `**Para desarrollo local:** ${
        local[0] ? names(local[0]) + tie(local[0]) : "—"
      }: lo más rápido sin salir de tu máquina. La sesión dice: «${src(2)}».`,
      `**Para producción:** ${names(ttft[0])}${
        tie(ttft[0])
      }: el menor tiempo hasta el primer token. La sesión dice: «${src(3)}».`,
    ];
  }
  const runs = opts.reference ?? [];
  const ref = runs[0];
  // The reference run's method 2 on the GPU (q4, fused graph) against the same weights with
  // the pipeline's defaults and with the session's Python baseline, all on the same machine.
  const pick = (f: (r: ReferenceRun["results"][number]) => boolean) =>
    ref?.results.find((r) => r.ok && r.decodeTokensPerSecond && f(r));
  const kitGpu = pick((r) =>
    r.runtime === "kit-webgpu" && r.dtype === "q4" && (r.graph ?? "fused") === "fused"
  );
  const defaults = pick((r) => r.runtime === "kit-pipeline");
  const python = pick((r) => r.runtime === "python-cuda" && r.dtype === "fp16");
  const compiled = pick((r) => r.runtime === "python-cuda-compile");
  const groq = published("groq-llama3-8b-tps", loadPublished());
  return [
    "_Sin conexión, los cuatro métodos generan con el mismo modelo local del kit: sus velocidades " +
    "medidas aquí no dicen qué método es más rápido de verdad. Estas recomendaciones son las de " +
    "la sesión, con su razonamiento y las cifras de referencia o publicadas que lo apoyan; no " +
    "salen de la tabla de arriba._",
    `**${
      src(0)
    }.** Es el método con menos decisiones: la biblioteca elige dtype y dispositivo (cuaderno 01).`,
    `**${src(1)}.** Elegir dtype y dispositivo y reutilizar el modelo cargado: ${
      kitGpu
        ? `con la misma forma de modelo, en q4 y webgpu genera ${
          f1(kitGpu.decodeTokensPerSecond!)
        } tok/s${
          defaults
            ? `, frente a ${
              f1(defaults.decodeTokensPerSecond!)
            } del pipeline con sus valores por defecto`
            : ""
        }${
          python
            ? ` y ${f1(python.decodeTokensPerSecond!)} de Python transformers fp16 sin compilar`
            : ""
        }${
          // Never only the weakest baseline: the compiled one, when measured, beside it.
          compiled
            ? `; Python compilado (caché estática + torch.compile) llega a ${
              f1(compiled.decodeTokensPerSecond!)
            } tok/s`
            : ""} (${ref.label})`
        : "todavía no hay ejecución de referencia en GPU en data/reference_runs/"
    }.`,
    `**${
      src(2)
    }.** Un servidor local con modelos cuantizados y una API REST, sin depender de la red (cuaderno 03).`,
    `**${src(3)}.** Sin hardware propio y con la mayor velocidad publicada: ${
      f1(groq.value)
    } tok/s con Llama 3 8B (${groq.label}); a cambio, red, clave, límites de uso y datos en un tercero.`,
  ];
}
