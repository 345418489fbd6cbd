/**
 * Where node-llama-cpp cannot load (no prebuilt binary for the platform), the Ollama stand-in
 * falls back to onnxruntime and says so: in every answer's X-Kit-Engine header and in what the
 * method-3 backend reports. The stand-in runs as its own process with node-llama-cpp mapped to
 * a module that fails to load, as it fails on such a platform.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, spawnServer } from "../lib/core/mod.ts";
import { ollamaBackend } from "../lib/methods/ollama/mod.ts";
import { freePort } from "./ollama_helpers.ts";
import { kitEsContinuation } from "./_kit_es_oracle.ts";

/** deno.json's import map with node-llama-cpp replaced by the failing stub. */
async function importMapWithoutLlamaCpp(dir: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const imports = {
    ...config.imports,
    "node-llama-cpp": new URL("./testdata/no_llama_cpp/node_llama_cpp_stub.ts", import.meta.url)
      .href,
  };
  const path = join(dir, "import_map.json");
  await Deno.writeTextFile(path, JSON.stringify({ imports }));
  return path;
}

Deno.test("without llama.cpp the Ollama stand-in generates with onnxruntime and says why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ollama-no-llama-" });
  const port = freePort();
  // The kit's own way to start a server process and wait until it answers.
  const server = await spawnServer(
    Deno.execPath(),
    [
      "run",
      "-A",
      "--quiet",
      "--import-map",
      await importMapWithoutLlamaCpp(dir),
      join(ROOT, "lib/methods/ollama/standin/cli.ts"),
      "ollama",
      "serve",
    ],
    { OLLAMA_HOST: `127.0.0.1:${port}` },
    `http://127.0.0.1:${port}/api/version`,
    `http://127.0.0.1:${port}`,
  );
  try {
    const backend = await ollamaBackend({ model: "kit-es", host: server.url });
    await backend.pull("kit-es", { quiet: true });
    const r = await backend.generate("La cuantización", { maxTokens: 12 });
    const engine = String(r.details?.engine);
    assert.ok(
      engine.startsWith(
        "onnxruntime (sustituye a llama.cpp, que no está disponible aquí: llama.cpp " +
          `(node-llama-cpp) no se puede cargar en ${Deno.build.os}-${Deno.build.arch}: ` +
          "No prebuilt binary for this platform",
      ),
      engine,
    );
    // The text is kit-es's own q4 ONNX greedy continuation (Ollama's default is 4-bit).
    assert.equal(r.text, await kitEsContinuation("La cuantización", 12, "q4"));
    await backend.close();
  } finally {
    await server.stop();
  }
});
