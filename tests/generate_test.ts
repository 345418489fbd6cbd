/**
 * `deno task generate`: one prompt through one method from the terminal, offline here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../lib/core/mod.ts";
import { KIT_ES_NOTE } from "../lib/forge/mod.ts";
import { kitEsChatAnswer } from "./_kit_es_oracle.ts";

const PROMPT = "¿Qué es la caché KV?";

async function generate(args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts", "generate.ts"), ...args],
    env: { KIT_OFFLINE: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

Deno.test("generate --json: kit-es's own greedy answer, counts, timings and the offline mode", async () => {
  const { code, out, err } = await generate([
    "--method",
    "optimized",
    "--dtype",
    "fp32",
    "--max-tokens",
    "8",
    "--json",
    PROMPT,
  ]);
  assert.equal(code, 0, err);
  const r = JSON.parse(out.trim().split("\n").at(-1)!);
  assert.equal(r.text, await kitEsChatAnswer(PROMPT, 8));
  assert.equal(r.method, "optimized");
  assert.equal(r.model, "kit-es");
  assert.ok(r.tokensIn > 0 && r.tokensOut >= 1 && r.tokensOut <= 8, JSON.stringify(r));
  assert.ok(r.timings.totalMs >= r.timings.ttftMs && r.timings.ttftMs > 0);
  assert.equal(r.mode.mode, "offline");
  assert.match(r.mode.reason, /KIT_OFFLINE=1/);
  assert.ok(r.mode.reason.includes(KIT_ES_NOTE), r.mode.reason);
});

Deno.test("generate streams the text, then one line with timings and the mode", async () => {
  const { code, out, err } = await generate(["--dtype", "fp32", "--max-tokens", "8", PROMPT]);
  assert.equal(code, 0, err);
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.slice(0, -1).join("\n"), await kitEsChatAnswer(PROMPT, 8));
  assert.match(
    lines.at(-1)!,
    /^— optimized · kit-es · \d+ tokens de entrada, \d+ generados .* offline: /,
  );
});

Deno.test("generate: bad usage and unknown models exit non-zero with a Spanish message", async () => {
  const bad = await generate(["--method", "magia", PROMPT]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /método desconocido «magia» \(pipeline, optimized, ollama, groq\)/);
  const zero = await generate(["--max-tokens", "0", PROMPT]);
  assert.equal(zero.code, 2);
  assert.match(zero.err, /--max-tokens debe ser un entero mayor que 0/);
  assert.equal((await generate([])).code, 2);
  const unknown = await generate(["--model", "no-existe", PROMPT]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /Modelo desconocido: «no-existe»/);
});
