/**
 * The on-topic measure of kit-es's answers (lib/forge/topic.ts): exact stems, the out-of-scope
 * rule, and, as an independent check of the measure itself, the corpus's own answers (written
 * by people for their question) against the same answers given to other questions.
 */
import assert from "node:assert/strict";
import {
  isOnTopic,
  loadKitEsCorpus,
  onTopicRatio,
  OUT_OF_SCOPE_PREFIX,
  topicStems,
} from "../lib/forge/mod.ts";

Deno.test("topic: stems drop function words, keep runs with digits, cut to five letters", () => {
  assert.deepEqual([...topicStems("¿Qué es la cuantización en INT8?")], ["cuant", "int8"]);
  assert.deepEqual([...topicStems("¿Cuánta caché KV ocupa Llama-2-7B?")], [
    "caché",
    "ocupa",
    "llama",
    "7b",
  ]);
  assert.deepEqual([...topicStems("y de la el 7 16")], []);
  // Two characters count only with a digit and a letter: quantization names, GPUs, sizes.
  assert.deepEqual([...topicStems("¿q8 o q4 en la T4 para 7B?")], ["q8", "q4", "t4", "7b"]);
  assert.deepEqual([...topicStems("Q4_K_M vs Q4_0")], ["q4"]);
});

Deno.test("topic: an answer about something else is off topic; a shared stem is enough", () => {
  const q = { id: "b-q-001", question: "¿Qué es la cuantización?" };
  assert.ok(isOnTopic({ ...q, answer: "Cuantizar es guardar los pesos con menos bits." }));
  assert.ok(!isOnTopic({ ...q, answer: "Groq es un servicio en la nube con chips LPU." }));
  assert.ok(!isOnTopic({ ...q, answer: "" }));
});

Deno.test("topic: out-of-scope questions are on topic only when the answer declines", () => {
  const q = { id: `${OUT_OF_SCOPE_PREFIX}-009`, question: "¿Qué tiempo hará mañana?" };
  assert.ok(isOnTopic({ ...q, answer: "Solo sé de lo que trata este curso." }));
  assert.ok(!isOnTopic({ ...q, answer: "Mañana hará sol y tiempo seco." }));
});

Deno.test("topic: the corpus's answers are on topic for their own questions, not for others", async () => {
  const { groups } = await loadKitEsCorpus();
  const own = groups.map((g) => ({ id: g.id, question: g.preguntas[0], answer: g.respuesta }));
  // The same answers, each given to the question of a group from another file (topic).
  const shifted = own.map((c, i) => {
    let j = (i + 1) % own.length;
    while (own[j].id.split("-")[1] === c.id.split("-")[1]) j = (j + 1) % own.length;
    return { ...c, answer: own[j].answer };
  });
  const mine = onTopicRatio(own), others = onTopicRatio(shifted);
  assert.ok(groups.length >= 600, `${groups.length} grupos`);
  assert.ok(mine >= 0.9, `respuestas propias en tema: ${mine}`);
  assert.ok(others <= 0.5, `respuestas de otro tema en tema: ${others}`);
});
