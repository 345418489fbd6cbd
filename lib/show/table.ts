/** Markdown tables from plain rows. */
import { displayBundle, inJupyter } from "./_jupyter.ts";

/** A table row: column name → value. */
export type Row = Record<string, unknown>;

/** Options for {@link markdownTable}. */
export interface TableOptions<T extends object = Row> {
  /** Columns in order (default: the keys of the rows, in first-seen order). */
  columns?: (keyof T & string)[];
  /** Header labels for columns (default: the column key), e.g. Spanish labels for the student. */
  headers?: Partial<Record<keyof T & string, string>>;
  /** Right-align these columns (default: columns whose values are all numbers). */
  alignRight?: (keyof T & string)[];
}

/**
 * Formats one cell: numbers with at most 2 decimals, booleans as sí/no, null/undefined as
 * "—", text with pipes and newlines escaped.
 */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "sí" : "no";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2)));
  }
  return String(value).replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

function columnsOf(rows: Row[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/**
 * Builds a GitHub-flavoured Markdown table. Pipes and newlines in values are escaped, so
 * every row has exactly as many cells as the header.
 *
 * @example
 * ```ts
 * markdownTable([{ dtype: "fp16", GB: 14 }]);
 * // | dtype | GB |
 * // | --- | ---: |
 * // | fp16 | 14 |
 * ```
 */
export function markdownTable<T extends object>(items: T[], opts: TableOptions<T> = {}): string {
  const rows = items as unknown as Row[];
  const headers: Record<string, string | undefined> = opts.headers ?? {};
  const columns: string[] = opts.columns ?? columnsOf(rows);
  const right = new Set<string>(
    opts.alignRight ??
      columns.filter((c) =>
        rows.length > 0 && rows.every((r) => typeof r[c] === "number" || r[c] == null)
      ),
  );
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(columns.map((c) => formatCell(headers[c] ?? c))),
    line(columns.map((c) => (right.has(c) ? "---:" : "---"))),
    ...rows.map((r) => line(columns.map((c) => formatCell(r[c])))),
  ].join("\n");
}

/** Shows rows as a table: rendered Markdown in a notebook cell, plain Markdown text elsewhere. */
export function showTable<T extends object>(rows: T[], opts: TableOptions<T> = {}): void {
  const md = markdownTable(rows, opts);
  if (inJupyter()) displayBundle({ "text/markdown": md, "text/plain": md });
  else console.log(md);
}
