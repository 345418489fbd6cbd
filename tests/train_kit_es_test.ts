/**
 * The training script's question-token dropout (scripts/kit_es_dropout.py: question_span,
 * question_keep, which scripts/train_kit_es.py applies), run by python3 with no numpy (CI has
 * none) on made-up examples whose template, question and answer
 * tokens are known: the template and the answer are never touched, the question keeps its
 * order and never loses every token, and the share dropped matches the probability asked.
 */
import assert from "node:assert/strict";
import { runScriptsPython } from "./_python.ts";

const PREFIX = [1, 7, 8], SUFFIX = [9];
const QUESTION = [20, 21, 22, 23, 24], ANSWER = [30, 31, 32, 2];
const qa = (q: number[], a: number[]) => ({
  kind: "qa",
  ids: [...PREFIX, ...q, ...SUFFIX, ...a],
  lossFrom: PREFIX.length + q.length + SUFFIX.length,
});
const EXAMPLES = [
  qa(QUESTION, ANSWER),
  qa([25, 26], [33, 34, 2]),
  qa([27], [35, 2]),
  { kind: "prose", ids: [1, 40, 41, 42, 2] },
];

/** Runs the script's functions on EXAMPLES; returns what the Python side reports. */
async function runPython(p: number, draws: number) {
  return await runScriptsPython([
    "import random",
    "from kit_es_dropout import question_keep, question_span",
    "exs = d['examples']; span = question_span(exs); rng = random.Random(0)",
    "uniforms = lambda n: [rng.random() for _ in range(n)]",
    "def targets(ex):  # as train_kit_es.example_targets with qa_loss 'answer'",
    "    return ex['ids'], [0] * ex['lossFrom'] + [1] * (len(ex['ids']) - ex['lossFrom'])",
    "def drop(ex, p):",
    "    ids, mask = targets(ex)",
    "    keep = question_keep(ex, len(ids), span, p, uniforms)",
    "    if keep is None: return ids, mask",
    "    return [t for t, k in zip(ids, keep) if k], [m for m, k in zip(mask, keep) if k]",
    "out = {'span': list(span), 'draws': [], 'short': None}",
    "for _ in range(d['draws']):",
    "    a, m = drop(exs[0], d['p'])",
    "    out['draws'].append({'ids': a, 'mask': m})",
    "out['short'] = drop(exs[2], 0.99)[0]",
    "print(json.dumps(out))",
  ], { examples: EXAMPLES, p, draws }) as {
    span: [number, number];
    draws: { ids: number[]; mask: number[] }[];
    short: number[];
  };
}

Deno.test("train_kit_es: question_span finds the chat template around every question", async () => {
  const r = await runPython(0, 1);
  assert.deepEqual(r.span, [PREFIX.length, SUFFIX.length]);
  // p = 0 leaves the example as it is.
  assert.deepEqual(r.draws[0].ids, EXAMPLES[0].ids);
});

Deno.test("train_kit_es: question-token dropout keeps template and answer, drops at its rate", async () => {
  const p = 0.3, draws = 3000;
  const r = await runPython(p, draws);
  const answerMask = ANSWER.map(() => 1);
  let dropped = 0;
  for (const { ids, mask } of r.draws) {
    const q = ids.slice(PREFIX.length, ids.length - SUFFIX.length - ANSWER.length);
    assert.deepEqual(ids.slice(0, PREFIX.length), PREFIX);
    assert.deepEqual(ids.slice(-SUFFIX.length - ANSWER.length), [...SUFFIX, ...ANSWER]);
    // Only the answer is a target, before and after.
    assert.deepEqual(mask.slice(-ANSWER.length), answerMask);
    assert.equal(mask.reduce((a, b) => a + b, 0), ANSWER.length);
    // What is left of the question is a non-empty, in-order part of it.
    assert.ok(q.length >= 1);
    let j = 0;
    for (const tok of q) {
      while (j < QUESTION.length && QUESTION[j] !== tok) j++;
      assert.ok(j < QUESTION.length, `token ${tok} out of order or foreign`);
      j++;
    }
    dropped += QUESTION.length - q.length;
  }
  // Binomial(15 000, 0.3) less the rare all-dropped draws (0.3^5 = 0.24 %): about 0.299;
  // its standard deviation is 0.004.
  const rate = dropped / (draws * QUESTION.length);
  assert.ok(Math.abs(rate - p) < 0.02, `rate ${rate}`);
  // A one-token question is never emptied.
  assert.deepEqual(r.short, EXAMPLES[2].ids);
});
