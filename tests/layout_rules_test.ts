/** scripts/layout_rules.ts: each rule catches a planted violation, and the kit itself passes. */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT } from "../lib/core/mod.ts";
import { findCycles, folderOf, layoutViolations, MAX_LINES } from "../scripts/layout_rules.ts";
import { tempDir } from "./_notebooks.ts";

function project(files: Record<string, string>): string {
  const root = tempDir("layout-");
  for (const dir of ["lib", "scripts", "notebooks", "tests"]) mkdirSync(join(root, dir));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const nb = (code: string) =>
  JSON.stringify({ cells: [{ cell_type: "code", source: [code], metadata: {}, outputs: [] }] });

Deno.test("layout: a clean project has no violations", () => {
  const root = project({
    "lib/core/mod.ts": "export const a = 1;\n",
    "lib/measure/mod.ts": 'import { a } from "../core/mod.ts";\nexport const b = a;\n',
    "scripts/x.ts": 'import { b } from "../lib/measure/mod.ts";\nconsole.log(b);\n',
    "notebooks/n.ipynb": nb('import { b } from "../lib/measure/mod.ts";'),
  });
  assert.deepEqual(layoutViolations(root), []);
});

Deno.test("layout: each rule catches its planted violation and names the file", () => {
  const root = project({
    "lib/a/mod.ts": 'import { b } from "../b/mod.ts";\nexport const a = b;\n',
    "lib/b/mod.ts": 'import { a } from "../a/x.ts";\nexport const b = 1;\n',
    "lib/a/x.ts": 'export const a = 2;\nexport const lazy = () => import("../b/mod.ts");\n',
    "lib/c/_private.ts": "export const p = 1;\n",
    // (split so that this test file does not itself import a private file, as the rule reads)
    "lib/d/mod.ts": 'import { p } from "../c/' + '_private.ts";\nexport const q = p;\n',
    "scripts/s.ts": 'import { a } from "../lib/a/x.ts";\nconsole.log(a);\n',
    "lib/e/mod.ts": 'export const env = Deno.env.get("HOME");\n',
    "lib/f/mod.ts": "export const x = 1;\n".repeat(MAX_LINES + 1),
  });
  const v = layoutViolations(root);
  const has = (rule: number, file: RegExp) => v.some((x) => x.rule === rule && file.test(x.file));
  assert.ok(has(1, /^lib\/a$|^lib\/b$/), "cycle a ↔ b");
  assert.ok(has(1, /lib\/a\/x\.ts/), "dynamic import");
  assert.ok(has(2, /lib\/d\/mod\.ts/), "private file of another folder");
  assert.ok(has(3, /scripts\/s\.ts/), "script importing a non-mod file");
  assert.ok(has(4, /lib\/e\/mod\.ts:1/), "environment read outside core/config");
  assert.ok(has(5, /lib\/f\/mod\.ts/), "too long");
  assert.equal(v.filter((x) => x.rule === 4).length, 1);
});

Deno.test("layout: folders are lib/<name>, and each method is its own folder", () => {
  assert.equal(folderOf("lib/core/config.ts"), "lib/core");
  assert.equal(folderOf("lib/methods/ollama/standin/server.ts"), "lib/methods/ollama");
  assert.equal(folderOf("lib/methods/mod.ts"), "lib/methods");
  assert.equal(folderOf("scripts/demo.ts"), null);
  const g = new Map([["x", new Set(["y"])], ["y", new Set(["z"])], ["z", new Set(["x"])]]);
  assert.deepEqual(findCycles(g), [["x", "y", "z", "x"]]);
});

Deno.test("layout: the kit passes its own rules", () => {
  assert.deepEqual(layoutViolations(ROOT), []);
});
