/**
 * Items 10–12 of issue 19, against the kit's Ollama stand-in answering as a current Ollama does
 * (docs.ollama.com/api, /capabilities/thinking): a thinking model ("pensador", capability
 * "thinking", whose scripted backend writes `<think>…</think>` as Qwen3 does) and `tiny`, which
 * cannot think. The oracles are the script itself (what must come back as thinking and as
 * answer, and how many tokens) and Ollama's documented bodies.
 */
import assert from "node:assert/strict";
import { measureStream } from "../lib/core/stream.ts";
import type { Backend } from "../lib/core/types.ts";
import { KitError } from "../lib/core/errors.ts";
import { ollamaBackend, THINKING_ALLOWANCE, timingRows } from "../lib/methods/ollama/backend.ts";
import { chooseFromTags, chooseOllamaModel } from "../lib/methods/ollama/models.ts";
import { tinyModel } from "../lib/methods/ollama/standin/models.ts";
import { startOllamaServer } from "../lib/methods/ollama/standin/server.ts";
import { ensureModel } from "../lib/forge/mod.ts";
import { freePort, ndjsonLines, post, streamBackend } from "./ollama_helpers.ts";

const THINK = ["Pienso", " en", " la", " pregunta", "."];
const ANSWER = ["La", " respuesta", " es", " 42", "."];
/** What the model writes, token by token: Qwen3's way, thinking between tags first. */
const SCRIPT = ["<think>", ...THINK, "</think>", "\n\n", ...ANSWER];

/** A backend that writes `script` (default SCRIPT), one piece a token, bounded by maxTokens. */
function scripted(script = SCRIPT): Backend {
  const stream: Backend["stream"] = (_prompt, opts) =>
    measureStream(async function* () {
      const n = Math.min(script.length, opts?.maxTokens ?? script.length);
      for (const piece of script.slice(0, n)) {
        if (piece === script[0] || piece === "\n\n") await new Promise((r) => setTimeout(r, 2));
        yield { text: piece };
      }
      return { tokensIn: 7, model: "pensador" };
    }, opts);
  return streamBackend("scripted", 3, stream);
}

await ensureModel("tiny", { log: () => {} });
const tiny = tinyModel();
const thinker = {
  ...tiny,
  name: "pensador:latest",
  capabilities: ["completion", "thinking"],
  backend: () => Promise.resolve(scripted()),
};
/** A model that thinks for longer than any num_predict the stand-in allows (1024). */
const ruminant = {
  ...thinker,
  name: "rumiante:latest",
  backend: () =>
    Promise.resolve(
      scripted(["<think>", ...Array.from({ length: 1100 }, () => " hmm"), "</think>", ...ANSWER]),
    ),
};
/** Runs `fn` against its own stand-in (its URL), so that each test passes alone and in any order. */
async function withServer(fn: (url: string) => Promise<void>): Promise<void> {
  const server = await startOllamaServer({
    port: freePort(),
    models: [tiny, thinker, ruminant],
    log: () => {},
  });
  try {
    await fn(server.url);
  } finally {
    await server.close();
  }
}

Deno.test("a thinking model: thinking in `thinking` / `message.thinking`, answer apart; eval_count counts both", async () => {
  await withServer(async (url) => {
    const lines = await ndjsonLines(
      await post(`${url}/api/chat`, {
        model: "pensador",
        messages: [{ role: "user", content: "¿Cuánto?" }],
      }),
    );
    const msgs = lines.map((l) => l.message as { content: string; thinking?: string });
    assert.equal(msgs.map((m) => m.thinking ?? "").join(""), THINK.join(""));
    assert.equal(msgs.map((m) => m.content).join(""), ANSWER.join(""));
    assert.equal(lines.at(-1)!.eval_count, SCRIPT.length);
    const gen = await (await post(`${url}/api/generate`, {
      model: "pensador",
      prompt: "¿Cuánto?",
      stream: false,
    })).json();
    assert.equal(gen.thinking, THINK.join(""));
    assert.equal(gen.response, ANSWER.join(""));
    const show = await (await post(`${url}/api/show`, { model: "pensador" })).json();
    assert.deepEqual(show.capabilities, ["completion", "thinking"]);
  });
});

Deno.test("think: false drops the thinking; think: true on a model that cannot think is Ollama's 400", async () => {
  await withServer(async (url) => {
    const off = await (await post(`${url}/api/generate`, {
      model: "pensador",
      prompt: "x",
      think: false,
      stream: false,
    })).json();
    assert.equal(off.thinking, undefined);
    assert.equal(off.response, ANSWER.join(""));
    const res = await post(`${url}/api/generate`, { model: "tiny", prompt: "x", think: true });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: '"tiny" does not support thinking' });
    const b = await ollamaBackend({ host: url, model: "tiny", think: true });
    await assert.rejects(
      () => b.generate("El modelo", { maxTokens: 3 }),
      (e: unknown) =>
        e instanceof KitError && e.kind === "unsupported" && /no sabe razonar/.test(e.message),
    );
  });
});

Deno.test("the backend counts and shows thinking and answer apart; TTFT is to the first token of either kind", async () => {
  await withServer(async (url) => {
    const b = await ollamaBackend({ host: url, model: "pensador" });
    const seen: string[] = [];
    const pieces: string[] = [];
    const s = b.stream("¿Cuánto?", { maxTokens: 64, onThinking: (t) => seen.push(t) });
    for await (const p of s) pieces.push(p);
    const r = await s.result;
    assert.equal(r.text, ANSWER.join(""));
    assert.equal(pieces.join(""), ANSWER.join(""), "the iteration yields the answer only");
    assert.equal(r.thinking, THINK.join(""));
    assert.equal(seen.join(""), THINK.join(""));
    assert.equal(r.thinkingTokens, THINK.length);
    // Ollama's eval_count covers both kinds, and so does the client's count.
    assert.equal(r.tokensOut, SCRIPT.length);
    assert.equal(r.details?.eval_count, SCRIPT.length);
    assert.ok(r.timings.ttftMs! <= r.timings.answerTtftMs!, JSON.stringify(r.timings));
    // tok/s over every token after the first, thinking included (not answer tokens over it all).
    assert.equal(r.timings.tokensPerSecond, ((r.tokensOut - 1) * 1000) / r.timings.decodeMs);
    const rows = timingRows(r);
    assert.equal(rows.find((x) => /razonamiento/.test(x.measure))?.client, THINK.length);
    assert.equal(r.details?.think, "por defecto del servidor");
  });
});

Deno.test("a thinking model gets num_predict room for its answer (maxTokens + allowance); when even that runs out, the result says so", async () => {
  await withServer(async (url) => {
    const b = await ollamaBackend({ host: url, model: "pensador" });
    const r = await b.generate("¿Cuánto?", { maxTokens: 3 });
    assert.equal(r.thinking, THINK.join(""));
    assert.equal(r.text, ANSWER.join(""), "the answer appears although maxTokens < the thinking");
    assert.match(String(r.details?.thinkingNote), new RegExp(`3 \\+ ${THINKING_ALLOWANCE} tokens`));
    assert.equal(r.details?.answerMissing, undefined);
    const off = await ollamaBackend({ host: url, model: "pensador", think: false });
    const plain = await off.generate("¿Cuánto?", { maxTokens: 3 });
    assert.equal(plain.details?.thinkingNote, undefined, "think: false → no allowance");
    assert.equal(plain.thinking, undefined);
    const t = await ollamaBackend({ host: url, model: "tiny" });
    assert.equal(
      (await t.generate("El modelo", { maxTokens: 3 })).tokensOut,
      3,
      "tiny cannot think",
    );
    const long = await ollamaBackend({ host: url, model: "rumiante" });
    const cut = await long.generate("¿Cuánto?", { maxTokens: 3 });
    assert.equal(cut.text, "");
    assert.equal(cut.stopReason, "length");
    assert.match(
      String(cut.details?.answerMissing),
      /^Sin respuesta: «rumiante» agotó num_predict/,
    );
  });
});

Deno.test("stand-in fidelity: `model 'x' not found`, zero statistics left out, format json, 404s", async () => {
  await withServer(async (url) => {
    for (const path of ["/api/generate", "/api/chat", "/api/show"]) {
      const res = await post(`${url}${path}`, { model: "nada", prompt: "x", messages: [] });
      assert.equal(res.status, 404, path);
      assert.deepEqual(await res.json(), { error: "model 'nada' not found" });
    }
    // Once loaded (the first request), load_duration is still there (Ollama times from the
    // request's start to the model being ready, never 0), and no statistic is a 0 (omitempty).
    const once = { model: "pensador", prompt: "x", stream: false };
    await (await post(`${url}/api/generate`, once)).json();
    const warm = await (await post(`${url}/api/generate`, once)).json();
    assert.ok(warm.load_duration > 0, JSON.stringify(warm));
    for (const v of Object.values(warm)) assert.notEqual(v, 0);
    const j = await (await post(`${url}/api/generate`, {
      model: "tiny",
      prompt: "El modelo",
      format: "json",
      stream: false,
      options: { num_predict: 8 },
    })).json();
    assert.equal(typeof JSON.parse(j.response).respuesta, "string");
    const bad = await post(`${url}/api/generate`, { model: "tiny", prompt: "x", format: "xml" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const embed = await post(`${url}/api/embed`, { model: "tiny", input: "x" });
    assert.equal(embed.status, 404);
    assert.match(embed.headers.get("content-type")!, /^application\/json/);
    assert.match((await embed.json()).error, /not implemented by the kit's offline stand-in/);
    // /v1/* in OpenAI's error shape (Ollama's openai.NewError), /v1/messages in Anthropic's.
    const v1 = await post(`${url}/v1/chat/completions`, { model: "tiny", messages: [] });
    assert.equal(v1.status, 404);
    assert.equal(v1.headers.get("x-kit-offline"), "1");
    const v1Body = await v1.json();
    assert.deepEqual(Object.keys(v1Body.error).sort(), ["code", "message", "param", "type"]);
    assert.equal(v1Body.error.type, "not_found_error");
    assert.match(v1Body.error.message, /not implemented by the kit's offline stand-in/);
    const anthropic = await (await post(`${url}/v1/messages`, { model: "tiny" })).json();
    assert.equal(anthropic.type, "error");
    assert.equal(anthropic.error.type, "not_found_error");
    const unknown = await fetch(`${url}/api/nothing`);
    assert.equal(unknown.status, 404);
    assert.equal(await unknown.text(), "404 page not found");
  });
});

Deno.test("model choice: OLLAMA_MODEL wins; else the preference list; else a Llama; else pull", async () => {
  await withServer(async (url) => {
    const tag = (name: string, size: number, family = "llama") => ({
      name,
      size,
      details: {
        family,
        families: [family],
        format: "gguf",
        parameter_size: "",
        parent_model: "",
        quantization_level: "",
      },
    });
    const have = [
      tag("qwen3:0.6b", 5e8, "qwen3"),
      tag("llama3.2:3b", 2e9),
      tag("llama3.2:1b", 1.3e9),
    ];
    assert.equal(chooseFromTags(have, "qwen3:0.6b").model, "qwen3:0.6b");
    assert.match(chooseFromTags(have, "qwen3:0.6b").reason, /OLLAMA_MODEL/);
    const missing = chooseFromTags(have, "gemma3:1b");
    assert.equal(missing.present, false);
    assert.equal(chooseFromTags(have, undefined).model, "llama3.2:1b");
    assert.match(chooseFromTags(have, undefined).reason, /lista de preferencia/);
    assert.equal(
      chooseFromTags([tag("mi-llama:7b", 4e9), tag("otro:1b", 1e9, "qwen3")], undefined).model,
      "mi-llama:7b",
    );
    assert.equal(chooseFromTags([tag("qwen3:0.6b", 5e8, "qwen3")], undefined).model, "qwen3:0.6b");
    // A cloud model (remote_host, tiny size) and an embedding model are never chosen on their own.
    const cloud = {
      ...tag("gpt-oss:20b-cloud", 384, "gptoss"),
      remote_host: "https://ollama.com:443",
    };
    const embed = tag("nomic-embed-text:latest", 2.7e8, "nomic-bert");
    const mixed = chooseFromTags([cloud, embed, tag("qwen3:0.6b", 5e8, "qwen3")], undefined);
    assert.equal(mixed.model, "qwen3:0.6b");
    assert.match(mixed.reason, /no se eligen solos: gpt-oss:20b-cloud, nomic-embed-text:latest/);
    const onlyRemote = chooseFromTags([cloud, embed], undefined);
    assert.deepEqual([onlyRemote.model, onlyRemote.present], ["llama3.2:1b", false]);
    assert.equal(chooseFromTags([cloud], "gpt-oss:20b-cloud").model, "gpt-oss:20b-cloud");
    const none = chooseFromTags([], undefined);
    assert.deepEqual([none.model, none.present], ["llama3.2:1b", false]);
    // Against the server: its /api/tags has tiny (family llama) and pensador.
    const c = await chooseOllamaModel(url, undefined);
    assert.equal(c.present, true);
    assert.ok(["tiny:latest", "pensador:latest"].includes(c.model), c.model);
  });
});
