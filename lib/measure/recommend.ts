/**
 * The session's closing table beside the measured one, and recommendations argued from the
 * measured numbers ("para aprender / máximo rendimiento / desarrollo local / producción").
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";
import type { ComparisonRow } from "./compare.ts";

/** One method's claims on the session's slide (data/session_claims.json). */
export interface Claim {
  method: number;
  name: string;
  speed: string;
  gpu: string;
  setup: string;
  cost: string;
  bestFor: string;
  setupSteps: string[];
}

/** The slide's claims and the reference price used for the cost column. */
export interface SessionClaims {
  note: string;
  methods: Claim[];
  groqPrice: { note: string; inputUsdPerMillion: number; outputUsdPerMillion: number };
}

/** Reads data/session_claims.json. */
export function loadClaims(): SessionClaims {
  return JSON.parse(readFileSync(join(ROOT, "data", "session_claims.json"), "utf8"));
}

const f1 = (x: number | undefined) => (x === undefined ? "—" : x.toFixed(1));

/**
 * The session's table with the measured figures beside each claim: median tok/s and TTFT,
 * peak memory, number of set-up steps, and the cost of the measured tokens (Groq at the
 * reference price; local methods cost no money per token).
 */
export function claimsVersusMeasured(rows: ComparisonRow[], claims = loadClaims()) {
  return claims.methods.map((c) => {
    const r = rows.find((x) => x.method === c.method);
    const tokensIn = r ? r.results.reduce((s, x) => s + x.result.tokensIn, 0) : 0;
    const tokensOut = r ? r.results.reduce((s, x) => s + x.result.tokensOut, 0) : 0;
    const usd = c.method === 4
      ? (tokensIn * claims.groqPrice.inputUsdPerMillion +
        tokensOut * claims.groqPrice.outputUsdPerMillion) / 1e6
      : 0;
    return {
      method: `${c.method}. ${c.name}`,
      mode: r?.mode ?? "no medido",
      speedClaim: c.speed,
      speedMeasured: `${f1(r?.tokensPerSecond?.median)} tok/s · TTFT ${f1(r?.ttftMs?.median)} ms`,
      gpuClaim: c.gpu,
      memoryMeasured: r?.peakRssBytes
        ? `${(r.peakRssBytes.median / 1e6).toFixed(0)} MB RSS`
        : "fuera de este proceso",
      setupClaim: c.setup,
      setupSteps: c.setupSteps.length,
      costClaim: c.cost,
      costMeasured: c.method === 4
        ? `${usd.toFixed(6)} USD por ${tokensIn + tokensOut} tokens${
          r?.mode === "offline" ? " (a precio de Groq real)" : ""
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
  speedMeasured: "Velocidad (medida)",
  gpuClaim: "GPU (diapositiva)",
  memoryMeasured: "Memoria (medida)",
  setupClaim: "Configuración (diapositiva)",
  setupSteps: "Pasos de configuración",
  costClaim: "Coste (diapositiva)",
  costMeasured: "Coste de lo medido",
} as const;

/**
 * Recommendations argued from the measurements, one sentence each, with the numbers that
 * decide them. Offline rows are said to be stand-ins.
 */
export function recommendations(rows: ComparisonRow[], claims = loadClaims()): string[] {
  const ok = rows.filter((r) => !r.error && r.tokensPerSecond);
  if (ok.length === 0) return ["No hay medidas suficientes para recomendar."];
  const steps = (m: number) => claims.methods.find((c) => c.method === m)?.setupSteps.length ?? 99;
  const tag = (r: ComparisonRow) =>
    r.mode === "online"
      ? r.name
      : `${r.name} (${r.method <= 2 ? "modelo local" : "sustituto local"})`;
  const by = <T>(xs: T[], key: (x: T) => number) => [...xs].sort((a, b) => key(a) - key(b));
  const easiest = by(ok, (r) => steps(r.method))[0];
  const fastest = by(ok, (r) => -r.tokensPerSecond!.median)[0];
  const local = ok.filter((r) => r.method !== 4);
  const localDev =
    by(local.length ? local : ok, (r) => -r.tokensPerSecond!.median / steps(r.method))[0];
  const steadiest = by(ok, (r) => r.ttftMs ? r.ttftMs.max : Infinity)[0];
  const lines = [
    `**Para aprender:** ${tag(easiest)}: ${
      steps(easiest.method)
    } pasos de configuración, el menor número.`,
    `**Máximo rendimiento:** ${tag(fastest)}: ${
      fastest.tokensPerSecond!.median.toFixed(1)
    } tok/s de mediana, la mayor medida aquí.`,
    `**Desarrollo local:** ${tag(localDev)}: ${
      localDev.tokensPerSecond!.median.toFixed(1)
    } tok/s sin salir de tu máquina, con ${steps(localDev.method)} pasos de configuración.`,
    `**Producción:** ${tag(steadiest)}: el peor TTFT medido es ${
      steadiest.ttftMs!.max.toFixed(1)
    } ms, el más estable.`,
  ];
  if (ok.some((r) => r.mode === "offline")) {
    lines.push(
      "_Aviso: las filas offline miden el modelo local `tiny` y los sustitutos locales del kit, no los modelos ni los servicios reales; con conexión y claves, el mismo cuaderno mide los de verdad._",
    );
  }
  return lines;
}
