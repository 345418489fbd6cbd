/**
 * What the instructor gets from a grading: JSON (everything), CSV (one row per student per
 * exercise) and a readable summary for the terminal.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GradeReport } from "./grade.ts";

/** Columns of the CSV. */
export const CSV_HEADER = [
  "student",
  "file",
  "set",
  "exercise",
  "points",
  "max_points",
  "feedback",
];

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r;]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The CSV: one row per student per exercise; `feedback` joins the failed tests' feedback
 * ("test: feedback | …"). A submission that could not be graded gets one row with its error.
 *
 * @example
 * ```ts
 * toCsv(report).split("\n")[0]; // "student,file,set,exercise,points,max_points,feedback"
 * ```
 */
export function toCsv(report: GradeReport): string {
  const rows: (string | number)[][] = [CSV_HEADER];
  for (const s of report.submissions) {
    if (s.error) rows.push([s.student, s.file, s.set, "", 0, 0, s.error]);
    for (const e of s.exercises) {
      const feedback = e.tests.filter((t) => !t.passed).map((t) => `${t.name}: ${t.feedback}`)
        .join(" | ");
      rows.push([s.student, s.file, s.set, e.id, e.points, e.maxPoints, feedback]);
    }
  }
  return rows.map((r) => r.map(csvField).join(",")).join("\n") + "\n";
}

/** Writes `grades.json` and `grades.csv` into `dir`; returns their paths. */
export function writeReports(report: GradeReport, dir: string): { json: string; csv: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "grades.json");
  const csv = join(dir, "grades.csv");
  writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
  writeFileSync(csv, toCsv(report));
  return { json, csv };
}

const pct = (a: number, b: number) => (b ? `${Math.round((100 * a) / b)} %` : "—");

/**
 * A readable summary: a table of points per student and exercise, then the feedback of every
 * failed test.
 */
export function summaryText(report: GradeReport): string {
  const lines: string[] = [];
  const graded = report.submissions.filter((s) => !s.error);
  const ids = graded[0]?.exercises.map((e) => e.id) ?? [];
  const header = ["alumno", ...ids, "total", "%"];
  const rows = graded.map((s) => [
    s.student,
    ...s.exercises.map((e) => `${e.points}/${e.maxPoints}`),
    `${s.points}/${s.maxPoints}`,
    pct(s.points, s.maxPoints),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  lines.push(`Corrección: ${report.submissions.length} entrega(s)`, "");
  if (rows.length) {
    lines.push(line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), "");
  }
  for (const s of report.submissions) {
    if (s.error) {
      lines.push(`✗ ${s.student} (${s.file}): ${s.error}`);
      continue;
    }
    const failed = s.exercises.flatMap((e) => e.tests.filter((t) => !t.passed));
    if (!failed.length) {
      lines.push(`✓ ${s.student}: todo correcto (${s.points}/${s.maxPoints}).`);
      continue;
    }
    lines.push(`• ${s.student}: ${s.points}/${s.maxPoints} (${pct(s.points, s.maxPoints)})`);
    for (const e of s.exercises) {
      for (const t of e.tests.filter((x) => !x.passed)) {
        lines.push(`    ✗ [${e.id}] ${t.name} (0/${t.maxPoints}): ${t.feedback}`);
      }
    }
  }
  return lines.join("\n");
}
