/**
 * The Hugging Face Llama tensor names and shapes (nn.Linear weights are [out, in]).
 *
 * @module
 */
import { headDim, type LlamaShape } from "./presets.ts";

/** A named tensor shape in Hugging Face layout. */
export interface TensorInfo {
  name: string;
  dims: number[];
}

/** Names and shapes of every weight of a LlamaForCausalLM, in checkpoint order. */
export function llamaTensors(s: LlamaShape): TensorInfo[] {
  const d = headDim(s);
  const H = s.hidden_size;
  const out: TensorInfo[] = [{ name: "model.embed_tokens.weight", dims: [s.vocab_size, H] }];
  for (let i = 0; i < s.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    out.push(
      { name: `${p}.input_layernorm.weight`, dims: [H] },
      { name: `${p}.self_attn.q_proj.weight`, dims: [s.num_attention_heads * d, H] },
      { name: `${p}.self_attn.k_proj.weight`, dims: [s.num_key_value_heads * d, H] },
      { name: `${p}.self_attn.v_proj.weight`, dims: [s.num_key_value_heads * d, H] },
      { name: `${p}.self_attn.o_proj.weight`, dims: [H, s.num_attention_heads * d] },
      { name: `${p}.post_attention_layernorm.weight`, dims: [H] },
      { name: `${p}.mlp.gate_proj.weight`, dims: [s.intermediate_size, H] },
      { name: `${p}.mlp.up_proj.weight`, dims: [s.intermediate_size, H] },
      { name: `${p}.mlp.down_proj.weight`, dims: [H, s.intermediate_size] },
    );
  }
  out.push({ name: "model.norm.weight", dims: [H] }, {
    name: "lm_head.weight",
    dims: [s.vocab_size, H],
  });
  return out;
}

/** Looks up one tensor's shape by name. */
export function tensorDims(s: LlamaShape, name: string): number[] {
  const t = llamaTensors(s).find((x) => x.name === name);
  if (!t) throw new Error(`unknown tensor ${name}`);
  return t.dims;
}
