/**
 * The claims ledger: every quantitative or checkable claim of the session's slides
 * (data/claims_ledger.json, quoted word for word), what the kit computes or measures for it,
 * and a verdict — correcto / aproximado / incorrecto (or pendiente, when the figure that would
 * decide it is not available here) — with the reason. Every number is computed when the
 * ledger is built: memory from the formulas of memory.ts, hardware from the machine, quality
 * from measured perplexity, speed from reference runs or published figures (labelled).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../core/paths.ts";
import type { LedgerClaim, LedgerContext, LedgerRow } from "./_ledger_base.ts";
import { MEMORY_CHECKS } from "./_ledger_memory.ts";
import { OTHER_CHECKS } from "./_ledger_other.ts";

export {
  es,
  type LedgerClaim,
  type LedgerContext,
  type LedgerRow,
  numericVerdict,
  type Verdict,
} from "./_ledger_base.ts";

/** Reads data/claims_ledger.json. */
export function loadLedgerClaims(): LedgerClaim[] {
  return JSON.parse(readFileSync(join(ROOT, "data", "claims_ledger.json"), "utf8")).claims;
}

/**
 * Builds the ledger, optionally only the claims of one notebook or topic.
 *
 * @example
 * ```ts
 * showTable(claimsLedger({}, { notebook: "01_pipeline" }), { headers: LEDGER_HEADERS });
 * ```
 */
export function claimsLedger(
  ctx: LedgerContext = {},
  filter: { notebook?: string; topic?: string } = {},
): LedgerRow[] {
  return loadLedgerClaims()
    .filter((c) =>
      (!filter.notebook || c.notebook === filter.notebook) &&
      (!filter.topic || c.topic === filter.topic)
    )
    .map((c) => {
      const check = MEMORY_CHECKS[c.id] ?? OTHER_CHECKS[c.id];
      if (!check) throw new Error(`La afirmación "${c.id}" no tiene comprobación en ledger.ts.`);
      return { ...c, ...check(ctx) };
    });
}

/** Spanish headers for ledger rows (pass to showTable with `columns: LEDGER_COLUMNS`). */
export const LEDGER_HEADERS = {
  slide: "Diapositiva",
  quote: "Lo que dice",
  kit: "Lo que da el kit",
  origin: "Origen de la cifra",
  verdict: "Veredicto",
  why: "Por qué",
} as const;

/** The columns a ledger table shows, in order. */
export const LEDGER_COLUMNS = Object.keys(LEDGER_HEADERS) as (keyof typeof LEDGER_HEADERS)[];
