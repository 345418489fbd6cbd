/**
 * More phrasings of the training questions, made by rule from the corpus's own ones: the
 * same question with a different frame ("¿Qué es X?" → «Explícame X.», «Define X.»), with a
 * lead-in («Una duda: …»), or typed as students type it (no «¿», lower case). Only training
 * groups get them, and a made phrasing equal to a validation phrasing is dropped, so the
 * validation split stays unseen.
 *
 * Why: with three phrasings per group a 15.7 M-parameter model learns each question's exact
 * wording and, asked something new, recalls the answer of the nearest wording rather than
 * of the nearest topic. Varying the words around the topic words (which every variant keeps:
 * tested with lib/forge/topic.ts) teaches it to answer by the topic.
 *
 * @module
 */
import { hashUnit } from "./kit_es_corpus.ts";

/** A frame: a pattern over a question and the rewrites it allows ($1… are its groups). */
interface Frame {
  match: RegExp;
  rewrites: string[];
}

/** Question frames of the corpus (its most common openings) and their rewrites. */
const FRAMES: Frame[] = [
  {
    match: /^¿Qué es (.+)\?$/u,
    rewrites: ["Explícame $1.", "Define $1.", "¿Me explicas qué es $1?", "Dime qué es $1."],
  },
  {
    match: /^¿Qué son (.+)\?$/u,
    rewrites: ["Explícame qué son $1.", "Define $1.", "Dime qué son $1."],
  },
  {
    match: /^¿Qué significa (.+)\?$/u,
    rewrites: ["¿Qué quiere decir $1?", "Explícame qué significa $1.", "Dime qué significa $1."],
  },
  {
    match: /^¿Para qué sirve(n?) (.+)\?$/u,
    rewrites: ["Dime para qué sirve$1 $2.", "¿Cuál es la utilidad de $2?"],
  },
  {
    match: /^¿Por qué (.+)\?$/u,
    rewrites: ["Explícame por qué $1.", "¿Sabes por qué $1?", "Dime por qué $1."],
  },
  {
    match: /^¿Cómo (.+)\?$/u,
    rewrites: ["Explícame cómo $1.", "¿Sabes cómo $1?", "Dime cómo $1."],
  },
  {
    match: /^¿(Cuánt[oa]s?) (.+)\?$/u,
    rewrites: ["Dime $1 $2.", "Calcula $1 $2.", "Quiero saber $1 $2."],
  },
  {
    match: /^¿Qué hace (.+)\?$/u,
    rewrites: ["Explícame qué hace $1.", "¿Cuál es la función de $1?"],
  },
];

/** Lead-ins put before a question as it is. */
const LEAD_INS = ["Una duda: ", "Pregunta: ", "Oye, ", "Tengo una pregunta. "];

/** Opening words that are lower case mid-sentence (names such as Colab or Groq are not). */
const OPENERS = new Set(
  ("qué cómo cuánto cuánta cuántos cuántas cuál cuáles por para en puedo se hay es y a de " +
    "dónde cuándo tengo un una el la los las con si sirve vale debo necesito me mi lo " +
    "siempre también tú tienes sabes cuánto").split(" "),
);

/** `s` with its first word in lower case when it is one of {@link OPENERS}. */
const lowerFirst = (s: string) =>
  s.replace(
    /^(¿?)(\p{L}+)/u,
    (all, q, w) => OPENERS.has(w.toLowerCase()) ? q + w.toLowerCase() : all,
  );

/** A question as typed quickly: no «¿», first letter lower case. */
const casual = (s: string) => lowerFirst(s.replace(/^¿/u, "").replace(/\?$/u, "").trim());

/** Rewrites of `question` by its frame; cased words that the frame keeps stay as they were. */
function frameRewrites(question: string): string[] {
  for (const f of FRAMES) {
    const m = question.match(f.match);
    if (!m) continue;
    return f.rewrites.map((r) =>
      r.replace(/\$(\d)/g, (_, k) => {
        const g = m[Number(k)] ?? "";
        // "Cuántos" opens a sentence in the original; mid-sentence it is lower case.
        return /^Cuánt/u.test(g) && r.indexOf(`$${k}`) > 0 ? g.toLowerCase() : g;
      })
    );
  }
  return [];
}

/**
 * Up to `n` new phrasings of `question`, chosen by a hash of `key` (the same input gives the
 * same output): its frame's rewrites, a lead-in, the casual form. Never the question itself,
 * no duplicates.
 *
 * @example
 * ```ts
 * questionVariants("¿Qué es la caché KV?", "b-kv-002/0", 2);
 * // two of «Explícame la caché KV.», «Define la caché KV.», «Oye, ¿qué es la caché KV?»…
 * ```
 */
export function questionVariants(question: string, key: string, n: number): string[] {
  const q = question.trim();
  const pool = [
    ...frameRewrites(q),
    ...(q.startsWith("¿") ? [...LEAD_INS.map((l) => l + lowerFirst(q)), casual(q)] : []),
  ].filter((v, i, all) => v !== q && v.length > 0 && all.indexOf(v) === i);
  return pool
    .map((v, i) => ({ v, r: hashUnit(`${key}/${i}/${v}`) }))
    .sort((a, b) => a.r - b.r)
    .slice(0, n)
    .map((x) => x.v);
}
