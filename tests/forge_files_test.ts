/**
 * The forge's files read back: model.safetensors holds the same fp32 values as the ONNX graph's
 * initializers (transposed where the graph stores Wᵀ, cut out of the stacked q/k/v and gate/up
 * matrices of the fused graph), under Hugging Face's names and shapes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureModel } from "../lib/forge/mod.ts";
import { floatValues, readOnnxInitializers, readSafetensors } from "./forge_reference.ts";
import { unstackInitializers } from "./forge_stacked.ts";

Deno.test("tiny-random: model.safetensors read back equals the fp32 ONNX initializers", async () => {
  const dir = await ensureModel("tiny-random");
  const { header, tensors } = readSafetensors(await Deno.readFile(join(dir, "model.safetensors")));
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  assert.equal(config.model_type, "llama");
  assert.deepEqual(config.architectures, ["LlamaForCausalLM"]);
  const expectedNames = ["model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    for (const n of ["input_layernorm", "post_attention_layernorm"]) {
      expectedNames.push(`model.layers.${l}.${n}.weight`);
    }
    for (const n of ["q_proj", "k_proj", "v_proj", "o_proj"]) {
      expectedNames.push(`model.layers.${l}.self_attn.${n}.weight`);
    }
    for (const n of ["gate_proj", "up_proj", "down_proj"]) {
      expectedNames.push(`model.layers.${l}.mlp.${n}.weight`);
    }
  }
  assert.deepEqual(
    Object.keys(header).filter((k) => k !== "__metadata__").sort(),
    expectedNames.sort(),
  );
  const D = config.hidden_size / config.num_attention_heads;
  assert.deepEqual(tensors.get("model.layers.0.self_attn.k_proj.weight")!.shape, [
    config.num_key_value_heads * D,
    config.hidden_size,
  ]);
  assert.deepEqual(tensors.get("lm_head.weight")!.shape, [config.vocab_size, config.hidden_size]);
  const inits = unstackInitializers(
    await readOnnxInitializers(join(dir, "onnx", "model.onnx")),
    config,
  );
  for (const [name, t] of tensors) {
    const direct = inits.get(name);
    const transposed = inits.get(`${name}.T`);
    assert.ok(direct || transposed, `${name} missing from the ONNX graph`);
    const onnx = floatValues((direct ?? transposed)!);
    const [rows, cols] = t.shape.length === 2 ? t.shape : [1, t.shape[0]];
    if (transposed) assert.deepEqual(transposed.dims, [cols, rows]);
    else assert.deepEqual(direct!.dims, t.shape);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = transposed ? onnx[c * rows + r] : onnx[r * cols + c];
        if (v !== t.values[r * cols + c]) {
          assert.fail(`${name}[${r},${c}]: ${v} ≠ ${t.values[r * cols + c]}`);
        }
      }
    }
  }
});
