/**
 * config.json and generation_config.json of a forged model, with HF LlamaConfig names.
 *
 * @module
 */
import { headDim, type LlamaShape } from "./presets.ts";

/**
 * The config.json object. `externalData` lists the .onnx files whose weights live in a
 * `<file>_data` side file (transformers.js reads `transformers.js_config.use_external_data_format`).
 *
 * @example
 * ```ts
 * hfConfig(getPreset("tiny").shape, []).model_type; // "llama"
 * ```
 */
export function hfConfig(s: LlamaShape, externalData: string[]): Record<string, unknown> {
  const jsConfig: Record<string, unknown> = {};
  if (externalData.length) {
    jsConfig.use_external_data_format = Object.fromEntries(externalData.map((f) => [f, 1]));
  }
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: s.vocab_size,
    hidden_size: s.hidden_size,
    intermediate_size: s.intermediate_size,
    num_hidden_layers: s.num_hidden_layers,
    num_attention_heads: s.num_attention_heads,
    num_key_value_heads: s.num_key_value_heads,
    head_dim: headDim(s),
    hidden_act: "silu",
    max_position_embeddings: s.max_position_embeddings,
    initializer_range: 0.02,
    rms_norm_eps: s.rms_norm_eps,
    rope_theta: s.rope_theta,
    rope_scaling: null,
    attention_bias: false,
    attention_dropout: 0.0,
    mlp_bias: false,
    pretraining_tp: 1,
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: "float32",
    use_cache: true,
    transformers_version: "4.46.0",
    "transformers.js_config": jsConfig,
  };
}

/**
 * generation_config.json: Llama's special ids, greedy by default, and at most 64 new tokens
 * unless the caller asks for more (a forged model rarely says </s>, and a notebook cell must
 * not run on for thousands of tokens).
 */
export function generationConfig(): Record<string, unknown> {
  return {
    bos_token_id: 1,
    eos_token_id: 2,
    do_sample: false,
    max_new_tokens: 64,
    transformers_version: "4.46.0",
  };
}
