/**
 * Test oracle for kit-es: greedy generation with transformers.js's own `generate` on the fp32
 * ONNX model, whose logits tests/kit_es_test.ts checks against a plain TypeScript forward pass
 * of the committed weights. The kit's backends must stream exactly this text.
 */
// deno-lint-ignore-file no-explicit-any
import { AutoModelForCausalLM, AutoTokenizer, env } from "@huggingface/transformers";
import { join } from "node:path";
import { ensureModel } from "../lib/forge/mod.ts";

/** kit-es's folder (built from the committed weights on first use). */
export const KIT_ES_MODEL_DIR = await ensureModel("kit-es", { log: () => {} });

/** transformers.js pointed at the local kit-es folder only. */
function useLocalModels(): void {
  env.allowRemoteModels = false;
  env.localModelPath = join(KIT_ES_MODEL_DIR, "..") + "/";
}

/** kit-es's tokenizer (without loading a model). */
function loadTokenizer(): Promise<any> {
  useLocalModels();
  return AutoTokenizer.from_pretrained("kit-es");
}

async function greedyIds(
  inputs: any,
  steps: number,
  dtype = "fp32",
): Promise<{ all: number[]; n: number }> {
  useLocalModels();
  const model = await AutoModelForCausalLM.from_pretrained("kit-es", { dtype: dtype as "fp32" });
  const out: any = await model.generate({ ...inputs, max_new_tokens: steps, do_sample: false });
  await model.dispose();
  const all = Array.from(out.data as BigInt64Array, Number);
  return { all, n: inputs.input_ids.dims.at(-1) };
}

/** Prompt + greedy continuation of a plain prompt, decoded as the pipeline returns it. */
export async function kitEsTextCompletion(prompt: string, steps: number): Promise<string> {
  const tokenizer = await loadTokenizer();
  const { all } = await greedyIds(tokenizer(prompt), steps);
  return tokenizer.decode(all, { skip_special_tokens: true });
}

/** Greedy continuation (generated text only) of a plain prompt, in the given dtype's ONNX file. */
export async function kitEsContinuation(prompt: string, steps: number, dtype = "fp32") {
  const tokenizer = await loadTokenizer();
  const { all, n } = await greedyIds(tokenizer(prompt), steps, dtype);
  return tokenizer.decode(all.slice(n), { skip_special_tokens: true });
}

/** The greedy answer (generated text only) to a one-message chat, through the chat template. */
export async function kitEsChatAnswer(
  content: string,
  steps: number,
  dtype = "fp32",
): Promise<string> {
  const tokenizer = await loadTokenizer();
  const inputs = tokenizer.apply_chat_template([{ role: "user", content }], {
    add_generation_prompt: true,
    return_dict: true,
  });
  const { all, n } = await greedyIds(inputs, steps, dtype);
  return tokenizer.decode(all.slice(n), { skip_special_tokens: true });
}

/**
 * The token ids of a one-message chat through kit-es's chat template (transformers.js's
 * `apply_chat_template`, `<s>` first), with the generation prompt: what a templated prompt is.
 */
export async function kitEsChatIds(content: string): Promise<number[]> {
  const tokenizer = await loadTokenizer();
  const text = tokenizer.apply_chat_template([{ role: "user", content }], {
    tokenize: false,
    add_generation_prompt: true,
  });
  return tokenizer.encode(text, { add_special_tokens: false });
}
