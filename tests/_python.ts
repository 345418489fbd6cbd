/**
 * Runs Python code against the kit's scripts/ folder (on sys.path), with `input` as JSON on
 * stdin and `data` bound to it; returns the JSON the code prints. python3 only, no packages:
 * CI's python3 has none.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../lib/core/mod.ts";

/** `lines` run after `import json, sys` and `d = json.load(sys.stdin)`; they print one JSON. */
export async function runScriptsPython(lines: string[], input: unknown): Promise<unknown> {
  const code = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(join(ROOT, "scripts"))})`,
    "d = json.load(sys.stdin)",
    ...lines,
  ].join("\n");
  const child = new Deno.Command("python3", {
    args: ["-c", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(input)));
  await w.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
