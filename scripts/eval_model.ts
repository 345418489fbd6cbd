/**
 * Quality of kit-es per dtype, measured on its validation split (never seen in training):
 *
 *   deno task eval-model [--weights DIR] [--dtypes fp32,fp16,q8,q4] [--questions N|all]
 *                        [--sequences N] [--tokens 48] [--out FILE]
 *
 * Prints a table (perplexity, argmax agreement with fp32, identical greedy answers, distinct
 * word trigrams, % Spanish words, share of answers on the question's topic — see lib/forge/topic.ts)
 * and one answer side by side per dtype, checks the issue's
 * targets, and writes everything as JSON (default out/eval_model/kit-es.json).
 * Spanish words: hunspell's es_ES dictionary (Debian hunspell-es) plus the course's technical
 * terms (COURSE_TERMS). Debian's wspanish list was tried first: it holds lemmas only
 * ("formato", "siete", "hay", "millones" are missing) and scores the human-written corpus at 87 %.
 * `--weights DIR` measures freshly trained weights before committing them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import {
  buildModel,
  distinctTrigramRatio,
  ensureModel,
  type ForgeDtype,
  ForgeError,
  measureKitEsQuality,
  onTopicRatio,
  spanishWordRatio,
  unknownSpanishWords,
  words,
} from "../lib/forge/mod.ts";
import { CACHE_DIR, OUT_DIR } from "../lib/core/mod.ts";
import { ensureAptPackages, SetupError } from "./setup.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    weights: { type: "string" },
    dtypes: { type: "string", default: "fp32,fp16,q8,q4" },
    questions: { type: "string", default: "40" },
    sequences: { type: "string" },
    tokens: { type: "string", default: "48" },
    out: { type: "string", default: join(OUT_DIR, "eval_model", "kit-es.json") },
  },
});

/** hunspell's Spanish dictionary, installed by `deno task setup` when missing (apt-get as root). */
async function spanishChecker(): Promise<(w: string[]) => Promise<Set<string>>> {
  try {
    await ensureAptPackages();
  } catch (e) {
    if (e instanceof SetupError) throw new ForgeError(e.message);
    throw e;
  }
  return unknownSpanishWords;
}

const pct = (x: number | null) => (x === null ? "—" : `${(100 * x).toFixed(1)} %`);

/** `--questions`: a positive whole number, or "all" (every phrasing of every validation group). */
function questionCount(text: string): number {
  if (text === "all") return Infinity;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new ForgeError(`--questions debe ser un entero positivo o «all», no «${text}».`);
  }
  return n;
}

try {
  const dtypes = values.dtypes!.split(",") as ForgeDtype[];
  const questionsAsked = questionCount(values.questions!);
  const t0 = performance.now();
  let dir: string;
  if (values.weights) {
    dir = join(CACHE_DIR, "models", "kit-es-eval");
    await buildModel("kit-es", dir, { weightsDir: values.weights, log: () => {} });
  } else dir = await ensureModel("kit-es");
  const unknownWords = await spanishChecker();
  const { rows, questions, referenceAnswers: refs, sequences } = await measureKitEsQuality({
    dir,
    dtypes,
    questions: questionsAsked,
    sequences: values.sequences ? Number(values.sequences) : undefined,
    maxNewTokens: Number(values.tokens),
    unknownWords,
    log: console.log,
  });
  console.log(
    `kit-es: ${sequences} secuencias de validación, ${questions.length} preguntas, ` +
      `dtypes ${dtypes.join(", ")}`,
  );
  const fp32 = rows.find((r) => r.dtype === "fp32");
  // Baseline: the reference answers of the same questions (human-written corpus text).
  const reference = {
    onTopic: onTopicRatio(questions.map((q, i) => ({ ...q, answer: refs[i] }))),
    distinctTrigrams: distinctTrigramRatio(refs),
    spanishWords: spanishWordRatio(refs, await unknownWords(refs.flatMap(words))),
  };
  console.table(rows.map((r) => ({
    dtype: r.dtype,
    perplejidad: Number(r.perplexity.toFixed(3)),
    "Δ vs fp32": fp32 ? `${(100 * (r.perplexity / fp32.perplexity - 1)).toFixed(2)} %` : "—",
    "argmax = fp32": pct(r.argmaxAgreement),
    "respuesta = fp32": pct(r.sameAnswer),
    "trigramas distintos": pct(r.distinctTrigrams),
    "palabras españolas": pct(r.spanishWords),
    "plantilla filtrada": pct(r.templateLeaks),
    "en tema": pct(r.onTopic),
  })));
  console.log(
    `Respuestas de referencia del corpus (mismas preguntas): trigramas distintos ` +
      `${pct(reference.distinctTrigrams)}, palabras españolas ${pct(reference.spanishWords)}, ` +
      `en tema ${pct(reference.onTopic)}`,
  );
  const q = questions[0];
  console.log(`\nPregunta de validación: «${q?.question}»`);
  for (const r of rows) console.log(`  ${r.dtype.padEnd(5)} ${JSON.stringify(r.answers[0])}`);
  const q8 = rows.find((r) => r.dtype === "q8");
  const targets = {
    "trigramas distintos ≥ 85 % (todas)": rows.every((r) => r.distinctTrigrams >= 0.85),
    "palabras españolas ≥ 95 % (todas)": rows.every((r) => r.spanishWords >= 0.95),
    "perplejidad q8 a ≤ 3 % de fp32": !!(fp32 && q8 && q8.perplexity <= fp32.perplexity * 1.03),
  };
  console.log("\nObjetivos:");
  for (const [k, ok] of Object.entries(targets)) console.log(`  ${ok ? "✓" : "✗"} ${k}`);
  await Deno.mkdir(dirname(values.out!), { recursive: true });
  await Deno.writeTextFile(
    values.out!,
    JSON.stringify(
      {
        model: "kit-es",
        dir,
        seconds: (performance.now() - t0) / 1000,
        questions,
        rows,
        reference,
        targets,
      },
      null,
      1,
    ) + "\n",
  );
  console.log(`\nEscrito ${values.out} (${((performance.now() - t0) / 1000).toFixed(0)} s).`);
} catch (e) {
  if (!(e instanceof ForgeError)) throw e;
  console.error(`Error: ${e.message}`);
  Deno.exit(1);
}
