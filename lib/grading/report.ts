/**
 * What the instructor gets from a grading: JSON (everything), CSV (one row per student per
 * exercise) and a readable summary for the terminal.
 *
 * The output folder is checked before any grading ({@link checkOutDir}); each report is
 * written to a temporary file in the same folder and renamed over the old one, so a full disk
 * or an interruption leaves the previous report whole. CSV cells that a spreadsheet would run
 * as a formula (`=`, `+`, `-`, `@`, tab, CR first) are prefixed with `'`.
 *
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
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
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
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

/** What the OS said, as a Spanish cause. */
function fsCause(error: unknown): string {
  const code = (error as { code?: string }).code ?? "";
  const causes: Record<string, string> = {
    EROFS: "el sistema de archivos es de solo lectura",
    EACCES: "no tienes permiso para escribir ahí",
    EPERM: "no tienes permiso para escribir ahí",
    ENOSPC: "el disco está lleno",
    EDQUOT: "se agotó tu cuota de disco",
    ENOTDIR: "una parte de la ruta es un archivo, no una carpeta",
    EEXIST: "ya existe un archivo con ese nombre",
    EISDIR: "es una carpeta",
  };
  return causes[code] ?? `${code || "error"}: ${(error as Error).message}`;
}

/** Spanish error about the output folder. */
export class OutDirError extends Error {
  override name = "OutDirError";
}

/** The file operations the reports use (tests swap them to simulate a full disk). */
export interface ReportFs {
  write(path: string, text: string): void;
  rename(from: string, to: string): void;
}

const realFs: ReportFs = {
  write(path, text) {
    const fd = openSync(path, "wx", 0o644);
    try {
      const bytes = new TextEncoder().encode(text);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  rename: renameSync,
};

/**
 * Checks, before any grading, that the reports can be written into `dir`: creates it if
 * needed and writes (then removes) a probe file. Throws an {@link OutDirError} naming the
 * cause (a file in the way, read-only, no permission, disk full).
 */
export function checkOutDir(dir: string, fs: ReportFs = realFs): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new OutDirError(`no se puede crear la carpeta de informes ${dir}: ${fsCause(error)}.`);
  }
  const probe = join(dir, `.grades-probe-${Deno.pid}-${Date.now()}`);
  try {
    fs.write(probe, "ok\n");
  } catch (error) {
    throw new OutDirError(
      `no se puede escribir en la carpeta de informes ${dir}: ${fsCause(error)}.`,
    );
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Writes `text` to `path` atomically: a temporary file in the same folder, then a rename. */
function writeAtomic(path: string, text: string, fs: ReportFs): void {
  const tmp = `${path}.tmp-${Deno.pid}-${Date.now()}`;
  try {
    fs.write(tmp, text);
    fs.rename(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new OutDirError(
      `no se pudo escribir ${path}: ${fsCause(error)}. El informe anterior, si lo había, ` +
        "sigue intacto.",
    );
  }
}

/**
 * Writes `grades.json` and `grades.csv` into `dir`, each atomically; returns their paths.
 * Throws an {@link OutDirError} in Spanish naming the cause.
 */
export function writeReports(
  report: GradeReport,
  dir: string,
  fs: ReportFs = realFs,
): { json: string; csv: string } {
  checkOutDir(dir, fs);
  const json = join(dir, "grades.json");
  const csv = join(dir, "grades.csv");
  writeAtomic(json, JSON.stringify(report, null, 2) + "\n", fs);
  writeAtomic(csv, toCsv(report), fs);
  return { json, csv };
}

/** A name or message made safe for a terminal: control characters shown as `?`. */
function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "?");
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
  return printable(lines.join("\n"));
}
