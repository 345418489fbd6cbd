/**
 * One prompt through one method, from the terminal:
 *
 *   deno task generate [--method pipeline|optimized|ollama|groq] [--model ID] [--dtype D]
 *                      [--max-tokens N] [--json] "prompt"
 *
 * Streams the answer, then prints one line with the timings and the mode (online/offline and
 * why). `--json` prints one object instead: {text, tokensIn, tokensOut, stopReason, timings,
 * mode, model, method}. On any error: the Spanish message on stderr and exit code 1 (2 for
 * bad usage).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Dtype } from "../lib/core/mod.ts";
import { METHOD_NAMES, type MethodName, openMethod } from "../lib/methods/mod.ts";
import { KIT_ES_NOTE } from "../lib/forge/mod.ts";

const USAGE = "Uso: deno task generate [--method pipeline|optimized|ollama|groq] [--model ID] " +
  '[--dtype fp32|fp16|q8|q4] [--max-tokens N] [--json] "pregunta"';
const DTYPES: Dtype[] = ["fp32", "fp16", "q8", "q4"];

function usage(message: string): never {
  console.error(`Error: ${message}\n${USAGE}`);
  Deno.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      method: { type: "string", default: "optimized" },
      model: { type: "string" },
      dtype: { type: "string" },
      "max-tokens": { type: "string", default: "64" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (e) {
  usage(`opciones no válidas (${(e as Error).message}).`);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const prompt = positionals.join(" ").trim();
if (!prompt) usage("falta la pregunta.");
const method = values.method as MethodName;
if (!METHOD_NAMES.includes(method)) {
  usage(`método desconocido «${values.method}» (${METHOD_NAMES.join(", ")}).`);
}
const maxTokens = Number(values["max-tokens"]);
if (!Number.isInteger(maxTokens) || maxTokens < 1) {
  usage(`--max-tokens debe ser un entero mayor que 0 (recibido: ${values["max-tokens"]}).`);
}
const dtype = values.dtype as Dtype | undefined;
if (dtype !== undefined && !DTYPES.includes(dtype)) {
  usage(`tipo de dato desconocido «${dtype}» (${DTYPES.join(", ")}).`);
}
if (dtype !== undefined && method !== "optimized") {
  usage("--dtype solo se aplica al método optimized.");
}

const out = new TextEncoder();
const write = (s: string) => Deno.stdout.writeSync(out.encode(s));
const ms = (x: number | null) => (x === null ? "—" : `${Math.round(x)} ms`);

let opened;
try {
  opened = await openMethod(method, { model: values.model, dtype });
  const { backend, mode } = opened;
  const stream = backend.stream([{ role: "user", content: prompt }], { maxTokens });
  if (!values.json) { for await (const piece of stream) write(piece); }
  const r = await stream.result;
  // Offline text always says what kit-es is.
  const reason = mode.mode === "offline" && r.model.includes("kit-es") &&
      !mode.reason.includes(KIT_ES_NOTE)
    ? `${mode.reason} (${KIT_ES_NOTE})`
    : mode.reason;
  if (values.json) {
    console.log(JSON.stringify({
      text: r.text,
      tokensIn: r.tokensIn,
      tokensOut: r.tokensOut,
      stopReason: r.stopReason,
      timings: r.timings,
      mode: { mode: mode.mode, reason },
      model: r.model,
      method,
    }));
  } else {
    const tps = r.timings.tokensPerSecond;
    write("\n");
    console.log(
      `— ${method} · ${r.model} · ${r.tokensIn} tokens de entrada, ${r.tokensOut} generados ` +
        `(${r.stopReason}) · primer token ${ms(r.timings.ttftMs)}, total ${ms(r.timings.totalMs)}` +
        `${tps === null ? "" : `, ${tps.toFixed(1)} tok/s`} · ${mode.mode}: ${reason}`,
    );
  }
} catch (e) {
  console.error(`Error: ${(e as Error).message}`);
  await opened?.close();
  Deno.exit(1);
}
await opened.close();
// Child servers and onnxruntime threads must not keep the process alive.
Deno.exit(0);
