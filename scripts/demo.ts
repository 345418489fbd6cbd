/**
 * `deno task demo` — the kit's main job and the instructor's live demo: the four methods on
 * the same prompts, compared. Works offline with no keys (local model and local servers,
 * labelled as such). Streams each method's answer to one prompt live, prints the measured
 * table, writes out/demo/report.html (+ report.json), and stops everything it started, also
 * on Ctrl-C.
 *
 * Options: --reps N (measured runs per prompt, default 3), --max-tokens N (default 48),
 * --out DIR (default out/demo).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadEnv, OUT_DIR } from "../lib/core/mod.ts";
import { machineInfo } from "../lib/env/mod.ts";
import { KIT_ES_NOTE } from "../lib/forge/mod.ts";
import {
  measureMethodMemory,
  methodModes,
  openAllBackends,
  type OpenedBackends,
} from "../lib/methods/mod.ts";
import {
  loadPrompts,
  loadReferenceRuns,
  recommendations,
  referenceStatus,
  runComparison,
} from "../lib/measure/mod.ts";
import {
  comparisonTable,
  engineOf,
  markdownTable,
  modeLabel,
  protocolLines,
  serviceRows,
  streamText,
  wrapText,
  writeReport,
} from "../lib/show/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "3" },
    "max-tokens": { type: "string", default: "48" },
    out: { type: "string", default: join(OUT_DIR, "demo") },
  },
});
const reps = Number(values.reps);
const maxTokens = Number(values["max-tokens"]);
if (!(reps >= 1) || !(maxTokens >= 1)) {
  console.error("Uso: deno task demo [--reps N] [--max-tokens N] [--out carpeta]");
  Deno.exit(2);
}

let opened: OpenedBackends | null = null;
const stopAll = async () => {
  await opened?.close();
  opened = null;
};
Deno.addSignalListener("SIGINT", async () => {
  console.log("\nInterrumpido: parando lo que arrancó la demo…");
  await stopAll();
  Deno.exit(130);
});

try {
  loadEnv();
  console.log("\n=== Cuatro formas de ejecutar un modelo Llama: demo ===\n");
  // One line per method, its reason wrapped: a table of reasons would be far wider than a
  // terminal.
  const modes = await methodModes();
  for (const m of modes) {
    const [head, ...rest] = wrapText(`${m.method}. ${m.name}: ${m.mode} — ${m.reason}`, 110);
    console.log([head, ...rest.map((l) => `     ${l}`)].join("\n"));
  }
  if (modes.some((m) => m.mode === "offline")) {
    console.log(wrapText(`\nSin conexión responde ${KIT_ES_NOTE}.`, 110).join("\n"));
  }
  console.log("\nPreparando los cuatro métodos…");
  opened = await openAllBackends();
  for (const f of opened.failures) {
    console.log(`  método ${f.method} (${f.name}): NO disponible: ${f.error}`);
  }

  const [first] = loadPrompts();
  console.log(`\n=== La misma pregunta a cada método: «${first.messages.at(-1)!.content}» ===`);
  for (const backend of opened.backends) {
    console.log(`\n--- Método ${backend.method} · ${backend.name} · ${modeLabel(backend)} ---`);
    const out = streamText("");
    const stream = backend.stream(first.messages, { maxTokens });
    for await (const piece of stream) out.append(piece);
    out.finish();
    const r = await stream.result;
    console.log(
      `    (${r.model}: ${r.tokensOut} tokens, TTFT ${r.timings.ttftMs?.toFixed(0)} ms, ` +
        `${
          r.timings.tokensPerSecond?.toLocaleString("es-ES", { maximumFractionDigits: 1 }) ?? "—"
        } tok/s)`,
    );
  }

  console.log(
    `\n=== Midiendo: ${loadPrompts().length} prompts × ${reps} ${
      reps === 1 ? "repetición" : "repeticiones"
    } por método ===`,
  );
  const rows = await runComparison(opened.backends, {
    repetitions: reps,
    maxTokens,
    onRun: () => Deno.stdout.writeSync(new TextEncoder().encode(".")),
  });
  console.log("\n\nMidiendo la memoria de cada método en su propio proceso…");
  await measureMethodMemory(rows, opened);
  const reference = loadReferenceRuns();
  console.log("\n=== Medido aquí: mediana [mínimo–máximo] ===\n");
  console.log(markdownTable(comparisonTable(rows)));
  // The engine goes on lines of its own: as a column it would push the table past 120 columns.
  console.log("\n" + markdownTable(serviceRows(rows).map(({ Motor: _, ...r }) => r)));
  console.log(
    "\n" + wrapText(
      `Motor de cada método: ${rows.map((r) => `${r.method}. ${engineOf(r)}`).join(" · ")}.`,
      110,
    ).join("\n"),
  );
  for (const line of protocolLines(rows)) console.log(wrapText(line, 110).join("\n     "));
  if (rows.some((r) => r.mode === "offline")) {
    console.log(
      "\n" + wrapText(
        "Sin conexión, los cuatro métodos generan con el modelo local del kit: estas cifras no " +
          "comparan los servicios reales (la velocidad de Ollama y de Groq no es medible sin conexión).",
        110,
      ).join("\n"),
    );
  }
  console.log("\n=== Recomendaciones ===\n");
  for (const line of recommendations(rows, { reference })) {
    const plain = line.replace(/\*\*/g, "").replace(/(^|\s)_|_($|\s)/g, "$1$2");
    console.log(wrapText(plain, 110).join("\n") + "\n");
  }
  console.log(wrapText(referenceStatus(reference), 110).join("\n"));
  const paths = writeReport({
    title: "Comparación de los cuatro métodos",
    createdAt: new Date().toISOString(),
    machine: await machineInfo(),
    rows,
    reference,
    notes: opened.failures.map((f) => `Método ${f.method} (${f.name}) no disponible: ${f.error}`),
  }, values.out!);
  console.log(`\nInforme: ${paths.html}\nDatos:   ${paths.json}`);
} finally {
  await stopAll();
}
