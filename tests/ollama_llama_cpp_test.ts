/**
 * The Ollama stand-in on llama.cpp: `pull` builds the GGUF (the forge's notes, then the layer's
 * bytes), generation is llama.cpp's (greedy `tiny` = the corpus's bigram chain, read by the
 * real `ollama` npm client), Ollama's counters and durations come from llama.cpp's work, and
 * the answers name the engine. Also the Modelfile for a real Ollama, checked against the chat
 * template the model was made with.
 */
import assert from "node:assert/strict";
import { Ollama } from "ollama";
import {
  ggufModel,
  LLAMA2_OLLAMA_TEMPLATE,
  modelfileText,
} from "../lib/methods/ollama/standin/gguf_model.ts";
import { startOllamaServer } from "../lib/methods/ollama/standin/server.ts";
import { ENGINE_HEADER } from "../lib/methods/ollama/standin/models.ts";
import { llama2ChatText } from "../lib/methods/ollama/standin/llama_cpp_backend.ts";
import { freePort, greedyTiny, ndjsonLines, post } from "./ollama_helpers.ts";
import { ollamaBackend } from "../lib/methods/ollama/backend.ts";
import { chatContinuation, tokenizer } from "./_tiny_oracle.ts";

const dir = await Deno.makeTempDir({ prefix: "ollama-gguf-" });
// A fresh folder: the first pull builds the GGUF.
const model = ggufModel({ preset: "tiny", variant: "q8_0", threads: 1, dir });
const log: string[] = [];
const server = await startOllamaServer({
  port: freePort(),
  models: [model],
  log: (l) => log.push(l),
});

Deno.test("ollama pull tiny on the llama.cpp stand-in: builds the GGUF while reporting, then one layer", async () => {
  const lines = await ndjsonLines(await post(`${server.url}/api/pull`, { model: "tiny" }));
  const statuses = lines.map((l) => l.status as string);
  assert.equal(statuses[0], "pulling manifest");
  assert.ok(statuses.some((s) => /Fabricando el GGUF «tiny» q8_0/.test(s)), statuses.join("\n"));
  const layer = lines.filter((l) => typeof l.completed === "number" && Number(l.total) > 1e6);
  assert.ok(layer.length > 0 && layer.at(-1)!.completed === layer.at(-1)!.total);
  assert.equal(statuses.at(-1), "success");
  const { models } = await (await fetch(`${server.url}/api/tags`)).json();
  assert.equal(models[0].details.format, "gguf");
  assert.equal(models[0].details.quantization_level, "Q8_0");
});

Deno.test("generate with llama.cpp: bigram text, engine header, Ollama's counters and durations", async () => {
  // raw: true, the prompt continued as is (the kit's backend sends it for a string prompt).
  const res = await post(`${server.url}/api/generate`, {
    model: "tiny",
    prompt: "La memoria",
    raw: true,
    stream: false,
    options: { num_predict: 12 },
  });
  assert.equal(decodeURIComponent(res.headers.get(ENGINE_HEADER)!), "llama.cpp");
  const body = await res.json();
  assert.equal(body.response, await greedyTiny("La memoria", 12));
  assert.equal(body.eval_count, 12);
  assert.equal(body.prompt_eval_count, tokenizer.encode("La memoria").length);
  // Without raw, Ollama puts the prompt through the model's chat template as a user message.
  const templated = await (await post(`${server.url}/api/generate`, {
    model: "tiny",
    prompt: "La memoria",
    stream: false,
    options: { num_predict: 12 },
  })).json();
  assert.equal(templated.response, chatContinuation("La memoria", 12));
  // (tiny's chain after the template's "[/INST]" reads like this prompt's: the counts differ.)
  const chatText = tokenizer.apply_chat_template([{ role: "user", content: "La memoria" }], {
    tokenize: false,
    add_generation_prompt: true,
  }) as unknown as string;
  assert.equal(
    templated.prompt_eval_count,
    tokenizer.encode(chatText, { add_special_tokens: false }).length,
  );
  assert.ok(templated.prompt_eval_count > body.prompt_eval_count);
  for (const k of ["load_duration", "prompt_eval_duration", "eval_duration", "total_duration"]) {
    assert.ok(Number.isInteger(body[k]) && body[k] > 0, `${k} = ${body[k]}`);
  }
  assert.ok(body.prompt_eval_duration + body.eval_duration <= body.total_duration);
  // The real client, streaming a chat.
  const client = new Ollama({ host: server.url });
  let text = "";
  let last;
  for await (
    const part of await client.chat({
      model: "tiny",
      messages: [{ role: "user", content: "¿Qué es un token?" }],
      stream: true,
      options: { num_predict: 8 },
    })
  ) {
    text += part.message.content;
    last = part;
  }
  assert.equal(last!.done, true);
  assert.equal(last!.eval_count, 8);
  assert.ok(text.length > 0);
  // The kit's method-3 backend reports the engine behind the answer.
  const backend = await ollamaBackend({ model: "tiny", host: server.url });
  const r = await backend.generate("La memoria", { maxTokens: 4 });
  assert.equal(r.details?.engine, "llama.cpp");
  await backend.close();
});

Deno.test("the Modelfile: FROM, TEMPLATE = the model's chat template, stop lines, SYSTEM", () => {
  const text = modelfileText({ from: "./kit-es-q4_0.gguf", system: "Sé breve.", numCtx: 512 });
  const lines = text.split("\n");
  assert.equal(lines[0], "FROM ./kit-es-q4_0.gguf");
  assert.deepEqual(lines.filter((l) => l.startsWith("PARAMETER stop")), [
    'PARAMETER stop "[INST]"',
    'PARAMETER stop "[/INST]"',
    'PARAMETER stop "<<SYS>>"',
    'PARAMETER stop "<</SYS>>"',
  ]);
  assert.ok(lines.includes('SYSTEM """Sé breve."""'));
  assert.ok(lines.includes("PARAMETER num_ctx 512"));
  // Go's text/template for the two constructs the TEMPLATE uses; Ollama puts <s> first itself.
  const render = (system: string, prompt: string) =>
    LLAMA2_OLLAMA_TEMPLATE
      .replace(/\{\{ if \.System \}\}([\s\S]*?)\{\{ end \}\}/, (_, body) => (system ? body : ""))
      .replaceAll("{{ .System }}", system)
      .replaceAll("{{ .Prompt }}", prompt);
  for (const system of ["", "Sé breve."]) {
    const messages = [
      ...(system ? [{ role: "system" as const, content: system }] : []),
      { role: "user" as const, content: "¿Qué es la memoria?" },
    ];
    assert.equal("<s>" + render(system, "¿Qué es la memoria?"), llama2ChatText(messages));
  }
});

Deno.test({
  name: "close (last)",
  fn: async () => {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  },
  sanitizeResources: false,
});
