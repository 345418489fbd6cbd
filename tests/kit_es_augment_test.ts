/**
 * kit-es's made phrasings (lib/forge/kit_es_augment.ts) and the training script's Python copy
 * of the answer checks (scripts/kit_es_topic.py) against the TypeScript ones.
 */
import assert from "node:assert/strict";
import { loadKitEsCorpus, normalizeQuestion, splitKitEs } from "../lib/forge/mod.ts";
import { questionVariants } from "../lib/forge/kit_es_augment.ts";
import { AUGMENT_PER_QUESTION, augmentedGroups } from "../lib/forge/kit_es_data.ts";
import {
  DECLINE_PHRASES,
  isOnTopic,
  NOT_TOPIC,
  OUT_OF_SCOPE_PREFIX,
  type TopicCase,
  topicStems,
} from "../lib/forge/topic.ts";
import { distinctTrigramRatio } from "../lib/forge/quality.ts";
import { runScriptsPython } from "./_python.ts";

const split = splitKitEs(await loadKitEsCorpus());

Deno.test("made phrasings keep every topic word of their question, are new, and are deterministic", () => {
  let made = 0;
  for (const g of split.train.groups) {
    g.preguntas.forEach((q, i) => {
      const vs = questionVariants(q, `${g.id}/${i}`, 3);
      assert.deepEqual(vs, questionVariants(q, `${g.id}/${i}`, 3), q);
      assert.ok(vs.length <= 3 && new Set(vs).size === vs.length, q);
      for (const v of vs) {
        assert.notEqual(v, q);
        for (const s of topicStems(q)) {
          assert.ok(topicStems(v).has(s), `«${v}» lost «${s}» of «${q}»`);
        }
      }
      made += vs.length;
    });
  }
  // Most phrasings have a frame or start with «¿»: well over one variant per phrasing.
  const phrasings = split.train.groups.reduce((n, g) => n + g.preguntas.length, 0);
  assert.ok(made > 1.5 * phrasings, `${made} made for ${phrasings} phrasings`);
});

Deno.test("a frame rewrites the question around its subject; names keep their capital", () => {
  const vs = questionVariants("¿Qué es la caché KV?", "x", 20);
  assert.ok(vs.includes("Explícame la caché KV."));
  assert.ok(vs.includes("Define la caché KV."));
  assert.ok(vs.includes("Oye, ¿qué es la caché KV?"));
  assert.ok(vs.includes("qué es la caché KV"));
  assert.ok(questionVariants("¿Colab tiene Deno?", "x", 20).includes("Oye, ¿Colab tiene Deno?"));
  assert.ok(
    questionVariants("¿Cuánta memoria ocupa Llama-2-7B?", "x", 20)
      .includes("Calcula cuánta memoria ocupa Llama-2-7B."),
  );
  // A statement has no frame and gets no lead-in.
  assert.deepEqual(questionVariants("Hasta luego", "x", 20), []);
});

Deno.test("made phrasings: training groups only, never a corpus phrasing (validation stays unseen)", () => {
  const groups = augmentedGroups(split);
  const trainIds = new Set(split.train.groups.map((g) => g.id));
  const corpus = new Set(
    [...split.train.groups, ...split.val.groups].flatMap((g) => g.preguntas.map(normalizeQuestion)),
  );
  const seen = new Set<string>();
  for (const g of groups) {
    assert.ok(trainIds.has(g.id), `${g.id} is not a training group`);
    const answer = split.train.groups.find((t) => t.id === g.id)!.respuesta;
    assert.equal(g.respuesta, answer);
    for (const q of g.preguntas) {
      const n = normalizeQuestion(q);
      assert.ok(!corpus.has(n), `«${q}» is a corpus phrasing`);
      assert.ok(!seen.has(n), `«${q}» made twice`);
      seen.add(n);
    }
  }
  const phrasings = split.train.groups.reduce((n, g) => n + g.preguntas.length, 0);
  assert.ok(seen.size <= AUGMENT_PER_QUESTION * phrasings);
  // Not vacuous: most phrasings have a frame the augmenter rewrites (about one made phrasing per
  // training phrasing on this corpus; casual ones without a frame get none).
  assert.ok(seen.size > phrasings / 2, `${seen.size} made for ${phrasings} phrasings`);
});

Deno.test("the training script's Python checks agree with topic.ts and quality.ts on the corpus", async () => {
  // Own answers (mostly on topic) and answers of another group (mostly not), every group.
  const groups = [...split.train.groups, ...split.val.groups];
  const cases: TopicCase[] = groups.flatMap((g, i) => [
    { id: g.id, question: g.preguntas[0], answer: g.respuesta },
    { id: g.id, question: g.preguntas[0], answer: groups[(i * 7 + 3) % groups.length].respuesta },
  ]);
  const rule = {
    stopwords: [...NOT_TOPIC],
    declines: DECLINE_PHRASES,
    outOfScopePrefix: OUT_OF_SCOPE_PREFIX,
  };
  const texts = [...groups.map((g) => g.respuesta), "a b c a b c", "uno dos", "x 7b y 7b x z"];
  const py = await runScriptsPython([
    "from kit_es_topic import on_topic, distinct_trigrams",
    "print(json.dumps({'topic': [on_topic(c['id'], c['question'], c['answer'], d['rule'])" +
    " for c in d['cases']], 'trigrams': [distinct_trigrams([t]) for t in d['texts']]}))",
  ], { rule, cases, texts }) as { topic: boolean[]; trigrams: number[] };
  const ts = cases.map(isOnTopic);
  assert.deepEqual(py.topic, ts);
  // Both outcomes occur: the comparison is not vacuous.
  assert.ok(ts.some((x) => x) && ts.some((x) => !x));
  texts.forEach((t, i) =>
    assert.ok(Math.abs(py.trigrams[i] - distinctTrigramRatio([t])) < 1e-12, t)
  );
});
