// deno-lint-ignore-file no-explicit-any
/**
 * Child process of measureRss: loads a forged model with transformers.js in one dtype,
 * generates a few tokens greedily and prints one JSON line with its memory figures.
 * Usage: deno run -A _rss_probe.ts <modelDir> <dtype> <newTokens> [arena|noarena]
 *
 * @module
 */
import { basename, dirname } from "node:path";

import { currentRssBytes, peakRssBytes, rssSplit } from "../measure/rss.ts";

const [dir, dtype, tokens = "8", arena = "arena"] = Deno.args;
const { env, AutoModelForCausalLM, AutoTokenizer } = await import("@huggingface/transformers");
env.allowRemoteModels = false;
env.localModelPath = dirname(dir) + "/";
const id = basename(dir);
const baseline = currentRssBytes();
const t0 = performance.now();
const tokenizer = await AutoTokenizer.from_pretrained(id);
const model = await AutoModelForCausalLM.from_pretrained(id, {
  dtype: dtype as any,
  session_options: arena === "noarena" ? { enableCpuMemArena: false } : {},
});
const loadMs = performance.now() - t0;
const afterLoad = currentRssBytes();
const inputs = tokenizer("La cuantización reduce la memoria");
const t1 = performance.now();
await model.generate(
  {
    ...inputs,
    max_new_tokens: Number(tokens),
    min_new_tokens: Number(tokens),
    do_sample: false,
  } as any,
);
const generateMs = performance.now() - t1;
console.log(JSON.stringify({
  dtype,
  arena: arena !== "noarena",
  baselineRss: baseline,
  afterLoadRss: afterLoad,
  peakRss: peakRssBytes(),
  endRssAnon: rssSplit().anon,
  endRssFile: rssSplit().file,
  loadMs,
  generateMs,
  newTokens: Number(tokens),
}));
