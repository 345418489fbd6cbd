/**
 * `deno task demo` on a machine with no keys: exits 0, labels every method offline, writes
 * the report, leaves no process behind — also when interrupted with Ctrl-C.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KIT_ES_NOTE } from "../lib/forge/mod.ts";
import { ROOT } from "../lib/core/paths.ts";
import { tempDir } from "./_notebooks.ts";
import { pidsMatching } from "./_processes.ts";

/** PIDs of the kit's stand-in servers running now. */
const standIns = () => pidsMatching("ollama serve|groq_process\\.ts");

/** An environment with no keys and no kit settings: only what a shell needs. */
const bareEnv = () => ({
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  HOME: Deno.env.get("HOME") ?? "/tmp",
  ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
  KIT_ENV_FILE: "/nonexistent/.env",
});

function demo(out: string) {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "demo", "--reps", "1", "--max-tokens", "8", "--out", out],
    cwd: ROOT,
    clearEnv: true,
    env: bareEnv(),
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("deno task demo with no keys: exit 0, four offline methods, report, no process left", async () => {
  const before = await standIns();
  const out = tempDir("demo-");
  const { code, stdout, stderr } = await demo(out).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr) + text);
  for (const [n, name] of [[1, "Pipeline"], [2, "Optimizado"], [3, "Ollama"], [4, "Groq"]]) {
    const label = Number(n) <= 2 ? "modelo local del kit" : "sustituto local del kit";
    assert.match(text, new RegExp(`--- Método ${n} · ${name} · offline \\(${label}\\) ---`));
    const short = Number(n) <= 2 ? "local" : "sustituto";
    assert.match(text, new RegExp(`\\| ${n} \\| ${name} \\| offline, ${short} \\| 3 \\|`));
  }
  // What kit-es is, once, and which engine ran each method (wrapped lines read as one).
  const flat = text.replace(/\s+/g, " ");
  assert.ok(flat.includes(`Sin conexión responde ${KIT_ES_NOTE}.`), text);
  assert.match(flat, /Motor de cada método: 1\. onnxruntime \(transformers\.js\), fp32, cpu · 2\./);
  // Readable in a terminal: every line but the models' streamed answers fits in 120 columns
  // (the methods' modes and reasons too, not only the tables).
  let answer = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("--- Método")) answer = true;
    else if (/^ {4}\(.*tokens, TTFT/.test(line)) answer = false;
    else if (!answer) assert.ok(line.length <= 120, `${line.length}: ${line}`);
  }
  assert.doesNotMatch(text, /baseURL/);
  // No English in the Spanish output.
  assert.doesNotMatch(text, /\b(short|medium|long|queueMs|promptMs|completionMs|eval_duration)\b/);
  // Each method's memory is its own process's, and offline recommendations say where they come from.
  assert.match(text, /\| Memoria \(MB\) \|/);
  assert.match(
    text,
    /Estas recomendaciones son las de\s+la sesión|Estas recomendaciones son las de la sesión/,
  );
  assert.match(text, /Para producción: Groq\./);
  assert.ok(existsSync(join(out, "report.html")));
  const json = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  assert.deepEqual(json.rows.map((r: { method: number }) => r.method), [1, 2, 3, 4]);
  assert.deepEqual(await standIns(), before, "no stand-in server left running");
});

Deno.test("deno task demo interrupted with Ctrl-C stops what it started", async () => {
  const before = await standIns();
  const child = demo(tempDir("demo-")).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("=== La misma pregunta")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  assert.ok((await standIns()).length > before.length, "stand-ins are running during the demo");
  child.kill("SIGINT");
  // Drain the rest so the process can exit.
  while (!(await reader.read()).done) { /* drain */ }
  await child.stderr.cancel();
  const status = await child.status;
  assert.equal(status.code, 130);
  assert.deepEqual(await standIns(), before, "no stand-in server left running");
});
