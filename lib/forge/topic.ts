/**
 * "Is the answer on the question's topic?", measured without a model: the answer must share a
 * content word with the question (compared by its first five letters, so «cuantización» and
 * «cuantizar» match, as do «caché» and «cachés»). A question outside the course (its group id
 * starts with {@link OUT_OF_SCOPE_PREFIX}) is answered on topic when the answer declines or
 * says what the model knows. Crude by design: it catches answers about something else
 * entirely, not wrong numbers.
 *
 * @module
 */

/** Group ids of the corpus's questions outside the course (weather, cooking, politics…). */
export const OUT_OF_SCOPE_PREFIX = "b-out";

/** Function words and words every course question shares: they say nothing about the topic. */
export const NOT_TOPIC: ReadonlySet<string> = new Set(
  ("que qué cómo como cual cuál cuáles cuanto cuánto cuánta cuántos cuántas por para con sin " +
    "una uno unos unas los las del el la en es son se su sus al lo le mi me te tu tus más menos " +
    "muy esta este esto estos estas eso esa ese esos esas hay tiene tienen ser está están " +
    "puede pueden hace hacer sirve sirven significa dice dicen entre sobre cuando donde dónde " +
    "quién porque pero también modelo modelos kit sesión diapositiva diapositivas usar uso " +
    "necesito debería hago explica explícame dime").split(" "),
);

/** Phrases of answers that decline or state what the model knows (out-of-scope replies). */
export const DECLINE_PHRASES = [
  "solo sé",
  "sólo sé",
  "solo conozco",
  "no sé",
  "no puedo",
  "no tengo",
];

/** {@link DECLINE_PHRASES} as whole words, any case. */
const DECLINES = new RegExp(`(?<!\\p{L})(${DECLINE_PHRASES.join("|")})(?!\\p{L})`, "iu");

/**
 * The topic words of a text: lower-case runs of letters and digits with at least one letter
 * and three characters (fp16, int8 and llama count) or two with a digit (q4, t4, 7b), minus
 * {@link NOT_TOPIC}, cut to five characters.
 *
 * @example
 * ```ts
 * [...topicStems("¿Qué es la cuantización en INT8?")]; // ["cuant", "int8"]
 * ```
 */
export function topicStems(text: string): Set<string> {
  const runs = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return new Set(
    runs.filter((w) =>
      (w.length >= 3 || (w.length === 2 && /\p{N}/u.test(w))) && /\p{L}/u.test(w) &&
      !NOT_TOPIC.has(w)
    )
      .map((w) => w.slice(0, 5)),
  );
}

/** One question with the answer to judge. */
export interface TopicCase {
  /** The corpus's group id (out-of-scope groups start with {@link OUT_OF_SCOPE_PREFIX}). */
  id: string;
  question: string;
  answer: string;
}

/** Whether one answer is on its question's topic (see the module's comment). */
export function isOnTopic(c: TopicCase): boolean {
  if (c.id.startsWith(OUT_OF_SCOPE_PREFIX)) return DECLINES.test(c.answer);
  const answer = topicStems(c.answer);
  for (const s of topicStems(c.question)) if (answer.has(s)) return true;
  return false;
}

/** Share of answers on their question's topic (0 when there are none). */
export function onTopicRatio(cases: TopicCase[]): number {
  return cases.length ? cases.filter(isOnTopic).length / cases.length : 0;
}
