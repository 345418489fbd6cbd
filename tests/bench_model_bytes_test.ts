import assert from "node:assert/strict";
import { getPreset } from "../lib/forge/mod.ts";
import { Q4_BLOCK_SIZE } from "../lib/forge/graph_parts.ts";
import {
  bytesPerDecodeToken,
  kvReadBytes,
  rooflineTokensPerSecond,
  weightBytes,
} from "../lib/bench/model_bytes.ts";

const tiny = getPreset("tinyllama-1.1b").shape;
const seven = getPreset("llama-2-7b").shape;

Deno.test("weight bytes come from the forge's graph: fp32 is 4 bytes per parameter", () => {
  const w = weightBytes(tiny, "fp32");
  // 1,100,048,384 parameters (TinyLlama-1.1B) × 4 bytes: the size of model.onnx_data; the
  // fused graph adds its rotary cos/sin tables (2048 positions × 32 × 4 bytes each), of which
  // a decode step reads one row.
  const rotary = 2 * 2048 * 32 * 4;
  assert.equal(w.total, 4_400_193_536 + rotary);
  assert.equal(w.embedding, 32000 * 2048 * 4);
  assert.equal(w.perToken, w.total - w.embedding + 2048 * 4 - rotary + 2 * 32 * 4);
  assert.equal(weightBytes(tiny, "fp32", "classic").total, 4_400_193_536);
});

Deno.test("q4 counts packed nibbles and fp32 block scales; q8 int8 plus row scales", () => {
  const q4 = weightBytes(seven, "q4");
  const q8 = weightBytes(seven, "q8");
  // Llama-2-7B's linears counted by hand: per output row, K/B blocks of B/2 bytes of nibbles
  // and one fp32 scale (B = Q4_BLOCK_SIZE); the int8 embedding with a scale per row; fp32
  // norms; the fused graph's cos/sin tables (4096 positions × 64).
  const [h, ff, vocab, layers, B] = [4096, 11008, 32000, 32, Q4_BLOCK_SIZE];
  const linear = (n: number, k: number) => n * Math.ceil(k / B) * (B / 2 + 4);
  const perLayer = linear(3 * h, h) + linear(h, h) + linear(2 * ff, h) + linear(h, ff);
  const expected = layers * perLayer + linear(vocab, h) + vocab * h + vocab * 4 +
    (2 * layers + 1) * h * 4 + 2 * 4096 * 64 * 4;
  assert.equal(q4.total, expected);
  assert.ok(q8.total / 6.74e9 > 0.99 && q8.total / 6.74e9 < 1.01, `${q8.total}`);
  // The int8 embedding table: one row (4096 bytes) and its scale are read per token.
  assert.equal(q4.embedding, 32000 * 4096 + 32000 * 4);
  const rotary = 2 * 4096 * 64 * 4; // fused graph: cos/sin tables, one row read per step
  assert.equal(q4.perToken, q4.total - q4.embedding + 4096 + 4 - rotary + 2 * 64 * 4);
});

Deno.test("the KV cache read grows linearly with the context", () => {
  // tinyllama: 2 × 22 layers × 4 KV heads × 64 × 4 bytes per token (fp32 cache).
  assert.equal(kvReadBytes(tiny, "q4", 1), 45_056);
  assert.equal(kvReadBytes(tiny, "fp16", 10), 225_280);
  const perToken = weightBytes(tiny, "q4").perToken;
  assert.equal(bytesPerDecodeToken(tiny, "q4", 8, 32), perToken + kvReadBytes(tiny, "q4", 24));
});

Deno.test("roofline = bandwidth ÷ bytes per token", () => {
  assert.equal(rooflineTokensPerSecond(20e9, 0.5e9), 40);
});
