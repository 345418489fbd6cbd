/**
 * The online branches of the notebooks, executed against local servers that answer like the
 * real services (issue 19): 01 and 02 against a hub-layout mirror named by HF_ENDPOINT; 04 against a Groq-like server listing production and preview models
 * whose chosen model reasons (tests/groq_like.ts); 03 against an Ollama-like server (the
 * stand-in behind a proxy that hides what marks it) serving a thinking model (tests/ollama_like.ts).
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HF_CACHE_DIR } from "../lib/methods/hf/transformers.ts";
import { startHubLike } from "./hub_like.ts";
import { ROOT } from "../lib/core/paths.ts";
import { findSecrets } from "../lib/core/secrets.ts";
import { NB_EXIT } from "../scripts/nb.ts";
import { execute, taggedText } from "./_notebooks.ts";
import { withEnv } from "./_env.ts";
import { ANSWER, REASONING, startGroqLike } from "./groq_like.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";
import { ANSWER as OLLAMA_ANSWER, startOllamaLike, THINK } from "./ollama_like.ts";

/**
 * What every online run starts from: other test modules of the same `deno test` process set
 * KIT_OFFLINE=1 (and may set keys or models) in the environment the notebooks inherit.
 */
const ONLINE_BASE: Record<string, string> = {
  KIT_OFFLINE: "0",
  KIT_ENV_FILE: "/nonexistent/.env",
  GROQ_API_KEY: "",
  GROQ_BASE_URL: "",
  GROQ_MODEL: "",
  OLLAMA_HOST: "",
  OLLAMA_MODEL: "",
  HF_ENDPOINT: "",
  HF_TOKEN: "",
};

Deno.test("04_groq online against a Groq-like server: production model chosen, reasoning shown apart", async () => {
  const like = startGroqLike();
  try {
    const { code, stderr, nb } = await execute(join(ROOT, "notebooks", "04_groq.ipynb"), {
      env: {
        ...ONLINE_BASE,
        GROQ_API_KEY: FAKE_GROQ_KEY,
        GROQ_BASE_URL: like.url,
        HF_TOKEN: "",
      },
    });
    assert.equal(code, NB_EXIT.ok, stderr);
    const text = JSON.stringify(nb);
    assert.ok(!text.includes(FAKE_GROQ_KEY.slice(4)), "the key leaked into an output");
    assert.deepEqual(findSecrets(text), []);
    assert.match(taggedText(nb, "connect"), /Modo online/);
    const models = taggedText(nb, "models");
    assert.match(models, /\| openai\/gpt-oss-20b \| OpenAI \| 131072 \| producción \| sí \| sí \|/);
    assert.match(
      models,
      /\| meta-llama\/llama-4-maverick-17b-128e-instruct \| Meta \| 131072 \| preview \| no \| no \|/,
    );
    assert.match(
      models,
      /Modelo en uso: «openai\/gpt-oss-20b»: el primero de la lista de preferencia/,
    );
    const first = taggedText(nb, "first-call");
    assert.ok(first.includes(ANSWER.join("")), first);
    assert.ok(!first.includes("paso0"), "the reasoning is not printed as the answer");
    const reasoning = taggedText(nb, "reasoning");
    assert.match(
      reasoning,
      new RegExp(`${REASONING.length} de ${REASONING.length + ANSWER.length} tokens fueron`),
    );
    assert.match(reasoning, /primer\s+token de la respuesta a los \*\*\d+ ms\*\*/);
    assert.ok(!/16 de agosto/.test(text), "no retirement date the kit cannot check");
  } finally {
    await like.close();
  }
});

Deno.test("03_ollama online against an Ollama-like server with a thinking model: choice said, thinking apart", async () => {
  const like = await startOllamaLike();
  try {
    const { code, stderr, nb } = await execute(join(ROOT, "notebooks", "03_ollama.ipynb"), {
      env: {
        ...ONLINE_BASE,
        OLLAMA_HOST: like.url,
        OLLAMA_MODEL: "qwen3:0.6b",
        HF_TOKEN: "",
      },
    });
    assert.equal(code, NB_EXIT.ok, stderr);
    assert.match(taggedText(nb, "mode"), /Modo: online — un Ollama real responde/);
    const pull = taggedText(nb, "pull");
    assert.match(pull, /Modelo: qwen3:0\.6b — OLLAMA_MODEL=qwen3:0\.6b \(ya descargado/);
    assert.match(pull, /Servidor: Ollama 0\.13\.1/);
    assert.match(taggedText(nb, "rest"), /X-Kit-Offline: \(no: es un Ollama real\)/);
    const stream = taggedText(nb, "stream");
    assert.ok(stream.includes(OLLAMA_ANSWER.join("")), stream);
    assert.match(
      stream,
      new RegExp(
        `Razonamiento \\(${THINK.length} tokens, aparte de la respuesta\\): ${THINK.join("")}`,
      ),
    );
    assert.match(
      stream,
      /TTFT = primer token de cualquier tipo: \d+ ms; primer token de la respuesta: \d+ ms/,
    );
    assert.match(
      stream,
      /razona antes de responder y num_predict cuenta ambos: se piden 40 \+ 1024/,
    );
    const speed = taggedText(nb, "speed");
    assert.match(speed, /de ellos, razonamiento/);
    assert.match(taggedText(nb, "stop"), /ya estaba en marcha antes del cuaderno: no lo paro/);
  } finally {
    await like.close();
  }
});

Deno.test("01_pipeline online against a hub-layout mirror (HF_ENDPOINT in .env): the three lines download with a bar, then read the cache", async () => {
  const id = "HuggingFaceTB/SmolLM2-135M-Instruct";
  const hub = await startHubLike([id], []);
  const cached = join(HF_CACHE_DIR, id);
  rmSync(cached, { recursive: true, force: true });
  // HF_ENDPOINT only in the .env file (item 4: notebooks read .env): absent from the kernel's
  // environment, which is this process's at the time it starts.
  const dotenv = join(Deno.makeTempDirSync(), ".env");
  writeFileSync(dotenv, `HF_ENDPOINT=${hub.url}\n`);
  const { HF_ENDPOINT: _, ...base } = ONLINE_BASE;
  try {
    let run!: Awaited<ReturnType<typeof execute>>;
    await withEnv({ HF_ENDPOINT: undefined }, async () => {
      run = await execute(join(ROOT, "notebooks", "01_pipeline.ipynb"), {
        env: { ...base, KIT_ENV_FILE: dotenv },
      });
    });
    const { code, stderr, nb } = run;
    assert.equal(code, NB_EXIT.ok, stderr);
    assert.match(taggedText(nb, "three-lines"), new RegExp(`Descargando ${id}.*100 %`));
    assert.match(taggedText(nb, "three-lines"), /La memoria de la GPU/);
    const backend = taggedText(nb, "backend");
    assert.match(backend, new RegExp(`Modelo: ${id} \\(Hub de Hugging Face\\)`));
    assert.doesNotMatch(backend, /Descargando/, "the backend reads what the three lines cached");
    assert.match(taggedText(nb, "pipeline-options"), /Descargando/);
    assert.match(
      taggedText(nb, "pipeline-options"),
      /Con opciones, la sesión que creó la biblioteca: dtype q4, dispositivo cpu\./,
    );
    assert.ok(hub.served.has(`${id}/onnx/model.onnx`), "the model came from the mirror in .env");
    for (const [file, n] of hub.served) assert.equal(n, 1, `${file} downloaded once`);
  } finally {
    await hub.close();
    rmSync(cached, { recursive: true, force: true });
  }
});

Deno.test("02_optimizado online against a hub-layout mirror (HF_ENDPOINT): downloads, then measures each dtype with its file size", async () => {
  const id = "HuggingFaceTB/SmolLM-135M-Instruct";
  const hub = await startHubLike([id], []);
  const cached = join(HF_CACHE_DIR, id);
  rmSync(cached, { recursive: true, force: true });
  try {
    const { code, stderr, nb } = await execute(join(ROOT, "notebooks", "02_optimizado.ipynb"), {
      env: { ...ONLINE_BASE, HF_ENDPOINT: hub.url },
    });
    assert.equal(code, NB_EXIT.ok, stderr);
    const load = taggedText(nb, "load");
    assert.match(load, new RegExp(`Modelo ${id} \\(Hub\\), dtype q8`));
    assert.match(load, /Descargando/);
    const table = taggedText(nb, "dtype-table");
    assert.doesNotMatch(table, /error:/);
    const verdict = taggedText(nb, "dtype-verdict");
    assert.match(verdict, /el archivo q4 ocupa \d+\.\d veces menos que el fp32/);
    assert.doesNotMatch(verdict, /0\.0 veces/);
    assert.ok(hub.served.size > 0, "the files came from the mirror");
  } finally {
    await hub.close();
    rmSync(cached, { recursive: true, force: true });
  }
});
