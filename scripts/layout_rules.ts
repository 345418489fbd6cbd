/**
 * The layout rules `deno task check` enforces, each failure naming the file:
 * 1. no two lib folders import each other, directly or through a cycle, and no `import()` of a
 *    relative module hides a dependency;
 * 2. a file whose name starts with `_` is imported only from its own folder;
 * 3. notebooks and scripts import lib only through a folder's `mod.ts` (exercise notebooks
 *    import the student API, lib/grading/checks.ts and fakes.ts, which the sandbox resolves by
 *    path);
 * 4. environment variables are read in lib/core/config.ts and nowhere else (lib, scripts);
 * 5. no source file over 400 lines (generated files aside).
 * A "lib folder" is `lib/<name>`, except that each method (`lib/methods/<name>`, its stand-in
 * included) is a folder of its own and `lib/methods` itself is their parent's mod.ts.
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

/** One broken rule. */
export interface Violation {
  rule: 1 | 2 | 3 | 4 | 5;
  file: string;
  message: string;
}

/** What exercise notebooks may import besides mod.ts files (rule 3). */
const STUDENT_API = ["lib/grading/checks.ts", "lib/grading/fakes.ts"];

/** Longest source file allowed (rule 5). */
export const MAX_LINES = 400;

const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;
const DYNAMIC = /\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']/g;
const ENV_READ = /\bDeno\.env\.(?:get|toObject|has)\b|\bprocess\.env\b/;

function walk(dir: string, root: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) {
      if (!["node_modules", ".cache", "out", ".git", "testdata"].includes(e.name)) {
        walk(rel, root, out);
      }
    } else out.push(rel);
  }
  return out;
}

/** The lib folder (graph node) a repo-relative lib path belongs to, or null outside lib/. */
export function folderOf(path: string): string | null {
  const p = path.split("/");
  if (p[0] !== "lib" || p.length < 3) return null;
  if (p[1] === "methods" && p.length >= 4) return `lib/methods/${p[2]}`;
  return `lib/${p[1]}`;
}

/** Relative module specifiers a source text imports (static and dynamic). */
export function importsOf(text: string): string[] {
  return [...text.matchAll(SPEC)].map((m) => m[1]).filter((s) => s.startsWith("."));
}

/** Source without comment lines (doc examples name imports that are not imports). */
function stripComments(text: string): string {
  return text.split("\n").filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l)).join("\n");
}

function codeOf(path: string, root: string): string {
  const text = readFileSync(join(root, path), "utf8");
  if (!path.endsWith(".ipynb")) return stripComments(text);
  const nb = JSON.parse(text) as { cells: { cell_type: string; source: string | string[] }[] };
  return nb.cells.filter((c) => c.cell_type === "code")
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)).join("\n");
}

/** The folder graph: for each lib folder, the lib folders it imports. */
export function folderGraph(root: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of walk("lib", root).filter((f) => f.endsWith(".ts"))) {
    const from = folderOf(file)!;
    if (!graph.has(from)) graph.set(from, new Set());
    for (const spec of importsOf(codeOf(file, root))) {
      const to = folderOf(normalize(join(dirname(file), spec)));
      if (to && to !== from) graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** Cycles in a folder graph, each as the list of folders around it. */
export function findCycles(graph: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 1) cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

/** Checks the five rules over the project at `root`. Empty when all hold. */
export function layoutViolations(root: string): Violation[] {
  const out: Violation[] = [];
  const lib = walk("lib", root).filter((f) => f.endsWith(".ts"));
  const scripts = walk("scripts", root).filter((f) => f.endsWith(".ts"));
  const notebooks = walk("notebooks", root).filter((f) =>
    f.endsWith(".ipynb") && !f.startsWith("notebooks/colab/")
  );
  const tests = walk("tests", root).filter((f) => f.endsWith(".ts"));

  for (const cycle of findCycles(folderGraph(root))) {
    out.push({
      rule: 1,
      file: cycle[0],
      message: `folders import each other: ${cycle.join(" → ")}`,
    });
  }
  for (const file of lib) {
    const code = codeOf(file, root);
    for (const m of code.matchAll(DYNAMIC)) {
      out.push({
        rule: 1,
        file,
        message: `import("${m[1]}") hides a dependency: import it statically`,
      });
    }
  }
  for (const file of [...lib, ...scripts, ...tests, ...notebooks]) {
    const code = codeOf(file, root);
    for (const spec of importsOf(code)) {
      const target = normalize(join(dirname(file), spec));
      const name = target.split("/").at(-1)!;
      const own = dirname(target);
      if (name.startsWith("_") && dirname(file) !== own && !dirname(file).startsWith(own + "/")) {
        out.push({ rule: 2, file, message: `imports ${target}, private to ${dirname(target)}/` });
      }
      const outside = file.startsWith("scripts/") || file.startsWith("notebooks/");
      const studentApi = file.startsWith("notebooks/ejercicios/") &&
        STUDENT_API.includes(target);
      if (outside && target.startsWith("lib/") && name !== "mod.ts" && !studentApi) {
        out.push({ rule: 3, file, message: `imports ${target}: use ${dirname(target)}/mod.ts` });
      }
    }
  }
  for (const file of [...lib, ...scripts]) {
    if (file === "lib/core/config.ts") continue;
    const lines = codeOf(file, root).split("\n");
    lines.forEach((line, i) => {
      if (ENV_READ.test(line)) {
        out.push({
          rule: 4,
          file: `${file}:${i + 1}`,
          message: "reads the environment: add the variable to lib/core/config.ts (kitConfig)",
        });
      }
    });
  }
  for (const file of [...lib, ...scripts, ...tests]) {
    const n = readFileSync(join(root, file), "utf8").split("\n").length;
    if (n > MAX_LINES) {
      out.push({ rule: 5, file, message: `${n} lines (most: ${MAX_LINES})` });
    }
  }
  return out;
}

/** The folder graph as text, one folder per line with what it imports. */
export function graphText(root: string): string {
  const g = folderGraph(root);
  return [...g.keys()].sort().map((k) => `${k} → ${[...g.get(k)!].sort().join(", ") || "—"}`)
    .join("\n");
}

if (import.meta.main) {
  const root = join(dirname(new URL(import.meta.url).pathname), "..");
  if (Deno.args.includes("--graph")) console.log(graphText(root));
  const v = layoutViolations(root);
  for (const x of v) console.error(`layout rule ${x.rule}: ${relative(".", x.file)}: ${x.message}`);
  if (v.length) Deno.exit(1);
  statSync(root);
}
