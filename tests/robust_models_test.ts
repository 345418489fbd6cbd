/**
 * Issue 18, items 13 and 17: a dtype the model does not have, or a model that cannot fit, is
 * refused before anything is forged or downloaded; interrupted builds (`.partial-*`) are
 * cleaned on the next run; a damaged model file (truncated, or garbage of the right size:
 * "Protobuf parsing failed") is detected and the forge model rebuilt, or the student told how.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KitError } from "../lib/core/mod.ts";
import { damagedFiles, defaultModelDir, ensureModel } from "../lib/forge/mod.ts";
import { MODELS_DIR } from "../lib/methods/hf/catalogue.ts";
import { checkBeforeLoading, createOptimizedBackend } from "../lib/methods/optimized/backend.ts";
import { tempDir } from "./_notebooks.ts";

const llama7b = () => readdirSync(MODELS_DIR).filter((n) => n.startsWith("llama-2-7b"));

Deno.test("llama-2-7b in fp32: refused before forging anything", async () => {
  await ensureModel("tiny", { log: () => {} });
  const before = llama7b();
  await assert.rejects(
    createOptimizedBackend({ model: "llama-2-7b", dtype: "fp32" }),
    (e: unknown) => {
      assert.ok(e instanceof KitError);
      assert.equal(e.kind, "unsupported");
      assert.match(e.message, /no tiene pesos en fp32; dtypes disponibles: q8, q4/);
      return true;
    },
  );
  assert.deepEqual(llama7b(), before, "nothing was built");
});

Deno.test("will it fit: checked from the preset's shape before forging", () => {
  assert.throws(
    () => checkBeforeLoading("llama-2-7b", "q4", "cpu", 1e9),
    (e: unknown) =>
      e instanceof KitError && e.kind === "too-big" && /solo hay 1\.0 GB/.test(e.message),
  );
  checkBeforeLoading("tiny", "q4", "cpu", 1e9);
  checkBeforeLoading("no-está-en-el-catálogo", "q4", "cpu", 1); // folders are checked later
});

Deno.test("interrupted builds (.partial-<dead pid>-…) are removed on the next run", async () => {
  const dead = join(MODELS_DIR, "llama-2-7b.partial-999999999-1");
  const mine = join(MODELS_DIR, `otro.partial-${Deno.pid}-1`);
  for (const d of [dead, mine]) mkdirSync(join(d, "onnx"), { recursive: true });
  writeFileSync(join(dead, "onnx", "model_q4.onnx"), new Uint8Array(1024));
  const lines: string[] = [];
  try {
    await ensureModel("tiny", { log: (l) => lines.push(l) });
    assert.ok(!existsSync(dead), "the stale partial is gone");
    assert.ok(existsSync(mine), "a build of a running process is kept");
    assert.match(lines.join("\n"), /Borradas 1 fabricaciones interrumpidas/);
  } finally {
    Deno.removeSync(mine, { recursive: true });
  }
});

Deno.test("damagedFiles: an ONNX file with external data is intact when graph + data have the recorded size", () => {
  const dir = Deno.makeTempDirSync();
  try {
    mkdirSync(join(dir, "onnx"));
    const graph = join(dir, "onnx", "model.onnx");
    writeFileSync(graph, new Uint8Array(10));
    writeFileSync(`${graph}_data`, new Uint8Array(90));
    writeFileSync(join(dir, "onnx", "model_q4.onnx"), new Uint8Array(40));
    // The forge records an external-data file's total: 10 + 90 bytes.
    const files = { "onnx/model.onnx": 100, "onnx/model_q4.onnx": 40 };
    assert.deepEqual(damagedFiles(dir, files), []);
    writeFileSync(`${graph}_data`, new Uint8Array(89)); // truncated data
    assert.deepEqual(damagedFiles(dir, files), ["onnx/model.onnx"]);
    Deno.removeSync(`${graph}_data`); // data gone
    assert.deepEqual(damagedFiles(dir, files), ["onnx/model.onnx"]);
    Deno.removeSync(graph);
    writeFileSync(`${graph}_data`, new Uint8Array(100)); // graph gone, data alone of that size
    assert.deepEqual(damagedFiles(dir, files), ["onnx/model.onnx"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a damaged forge model is rebuilt: truncated, and garbage of the same size", async () => {
  const dir = await ensureModel("tiny", { log: () => {} });
  const q4 = join(dir, "onnx", "model_q4.onnx");
  const size = statSync(q4).size;
  // Truncated: the size in forge.json no longer matches.
  writeFileSync(q4, new Uint8Array(10));
  const lines: string[] = [];
  await ensureModel("tiny", { log: (l) => lines.push(l) });
  assert.match(lines.join("\n"), /está dañado: onnx\/model_q4\.onnx no tiene el tamaño/);
  assert.equal(statSync(q4).size, size);
  // Same size, wrong bytes: onnxruntime cannot parse it; the backend rebuilds and loads.
  writeFileSync(q4, new Uint8Array(size).fill(0xff));
  const notes: string[] = [];
  const backend = await createOptimizedBackend({
    model: "tiny",
    dtype: "q4",
    log: (l) => notes.push(l),
  });
  try {
    assert.match(notes.join("\n"), /no se pudo cargar .*se vuelve a fabricar/);
    const r = await backend.generate("La memoria", { maxTokens: 3 });
    assert.ok(r.tokensOut >= 1);
  } finally {
    await backend.close();
  }
  assert.equal(defaultModelDir("tiny"), dir);
});

Deno.test("a damaged model in a folder of one's own: a KitError saying what to delete", async () => {
  const dir = join(tempDir("robust-model-"), "mi-modelo");
  cpSync(await ensureModel("tiny", { log: () => {} }), dir, { recursive: true });
  const q8 = join(dir, "onnx", "model_quantized.onnx");
  writeFileSync(q8, new Uint8Array(statSync(q8).size).fill(0xff));
  await assert.rejects(createOptimizedBackend({ model: dir, dtype: "q8" }), (e: unknown) => {
    assert.ok(e instanceof KitError, String(e));
    assert.equal(e.kind, "forge");
    assert.match(e.message, /está dañado \(onnxruntime: .*\)\. Borra la carpeta .*mi-modelo/);
    return true;
  });
});
