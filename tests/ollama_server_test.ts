/**
 * The offline Ollama-protocol server, checked field by field against Ollama's documented wire
 * format (docs/api.md: names, types, nanosecond durations, final-chunk fields, NDJSON, error
 * bodies and codes) and parsed by the real `ollama` npm client.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Ollama } from "ollama";
import { OFFLINE_VERSION } from "../lib/methods/ollama/standin/server.ts";
import { keepAliveMs } from "../lib/methods/ollama/standin/server.ts";
import { ndjsonLines, post, startTestServer } from "./ollama_helpers.ts";

const log: string[] = [];
const server = await startTestServer(log);
const url = server.url;
const tinyDir = server.models[0].dir;

/** Files of the model folder and their sha256, computed here independently of lib/offline. */
function filesOf(dir: string): { path: string; size: number; sha: string }[] {
  const out: { path: string; size: number; sha: string }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        out.push({
          path: p,
          size: statSync(p).size,
          sha: createHash("sha256").update(readFileSync(p)).digest("hex"),
        });
      }
    }
  };
  walk(dir);
  return out;
}

const DETAILS_KEYS = [
  "families",
  "family",
  "format",
  "parameter_size",
  "parent_model",
  "quantization_level",
];
// load_duration too (Ollama times it from the request to the model being ready: never 0).
const STATS = [
  "load_duration",
  "total_duration",
  "prompt_eval_count",
  "prompt_eval_duration",
  "eval_count",
  "eval_duration",
];
const keys = (o: object) => Object.keys(o).sort();
const isIso = (s: unknown) => typeof s === "string" && !Number.isNaN(Date.parse(s));

Deno.test("GET /api/version: version says offline; X-Kit-Offline header; JSON", async () => {
  const res = await fetch(`${url}/api/version`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-kit-offline"), "1");
  assert.match(res.headers.get("content-type")!, /^application\/json/);
  const body = await res.json();
  assert.deepEqual(keys(body), ["version"]);
  assert.equal(body.version, OFFLINE_VERSION);
  assert.match(body.version, /^\d+\.\d+\.\d+-kit-offline$/);
  const root = await fetch(`${url}/`);
  assert.match(await root.text(), /Ollama is running \(kit offline stand-in\)/);
  const missing = await fetch(`${url}/api/nothing`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("GET /api/tags: each model with Ollama's fields; size and digest from the files", async () => {
  const res = await fetch(`${url}/api/tags`);
  assert.equal(res.status, 200);
  const { models } = await res.json();
  const tiny = models.find((m: { name: string }) => m.name === "tiny:latest");
  assert.ok(tiny, JSON.stringify(models));
  assert.deepEqual(keys(tiny), ["details", "digest", "model", "modified_at", "name", "size"]);
  assert.equal(tiny.model, "tiny:latest");
  assert.ok(isIso(tiny.modified_at));
  const files = filesOf(tinyDir);
  assert.equal(tiny.size, files.reduce((s, f) => s + f.size, 0));
  assert.match(tiny.digest, /^[0-9a-f]{64}$/);
  assert.deepEqual(keys(tiny.details), DETAILS_KEYS);
  assert.equal(tiny.details.family, "llama");
  assert.deepEqual(tiny.details.families, ["llama"]);
  assert.equal(tiny.details.parent_model, "");
  assert.match(tiny.details.parameter_size, /^\d+(\.\d)?[KMB]$/);
});

Deno.test("POST /api/pull: manifest, one layer per file (sha256, total, completed), success", async () => {
  const res = await post(`${url}/api/pull`, { model: "tiny" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  const lines = await ndjsonLines(res);
  assert.deepEqual(lines[0], { status: "pulling manifest" });
  assert.deepEqual(lines.slice(-3).map((l) => l.status), [
    "verifying sha256 digest",
    "writing manifest",
    "success",
  ]);
  const layers = lines.filter((l) => l.digest);
  const files = filesOf(tinyDir);
  const byDigest = new Map(files.map((f) => [`sha256:${f.sha}`, f]));
  const seen = new Set<string>();
  let lastCompleted = new Map<string, number>();
  for (const l of layers) {
    const digest = l.digest as string;
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(l.status, `pulling ${digest.slice(7, 19)}`);
    const file = byDigest.get(digest);
    assert.ok(file, `a layer per file: ${digest}`);
    assert.equal(l.total, file.size);
    for (const k of Object.keys(l)) {
      assert.ok(["status", "digest", "total", "completed"].includes(k));
    }
    if (l.completed !== undefined) {
      assert.equal(typeof l.completed, "number");
      assert.ok((l.completed as number) <= file.size);
      assert.ok((l.completed as number) >= (lastCompleted.get(digest) ?? 0));
      lastCompleted.set(digest, l.completed as number);
    }
    seen.add(digest);
  }
  assert.equal(seen.size, files.length);
  for (const f of files) assert.equal(lastCompleted.get(`sha256:${f.sha}`), f.size);
  lastCompleted = new Map();

  const single = await post(`${url}/api/pull`, { name: "tiny:latest", stream: false });
  assert.equal(single.status, 200);
  assert.deepEqual(await single.json(), { status: "success" });
});

Deno.test("POST /api/pull of an unknown model: error line mid-stream; 500 without streaming", async () => {
  const res = await post(`${url}/api/pull`, { model: "llama3.2:1b" });
  assert.equal(res.status, 200);
  const lines = await ndjsonLines(res);
  assert.deepEqual(lines, [
    { status: "pulling manifest" },
    { error: "pull model manifest: file does not exist" },
  ]);
  const single = await post(`${url}/api/pull`, { model: "llama3.2:1b", stream: false });
  assert.equal(single.status, 500);
  assert.deepEqual(await single.json(), { error: "pull model manifest: file does not exist" });
});

Deno.test("POST /api/show: details, template, parameters, model_info; 404 and 400", async () => {
  const res = await post(`${url}/api/show`, { model: "tiny" });
  assert.equal(res.status, 200);
  const body = await res.json();
  for (
    const k of ["modelfile", "parameters", "template", "details", "model_info", "capabilities"]
  ) {
    assert.ok(k in body, k);
  }
  assert.deepEqual(keys(body.details), DETAILS_KEYS);
  assert.equal(body.model_info["general.architecture"], "llama");
  assert.equal(typeof body.model_info["general.parameter_count"], "number");
  assert.match(body.parameters, /temperature\s+0/);
  assert.match(body.modelfile, /not a real Ollama/);
  assert.match(body.template, /\{\{ \.Prompt \}\} \[\/INST\]$/, "the template generate applies");
  const missing = await post(`${url}/api/show`, { model: "nope" });
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: "model 'nope' not found" });
  const none = await post(`${url}/api/show`, {});
  assert.equal(none.status, 400);
  assert.deepEqual(await none.json(), { error: "model is required" });
});

Deno.test("POST /api/generate streamed: token chunks, then a final chunk with stats in ns", async () => {
  const t0 = performance.now();
  const res = await post(`${url}/api/generate`, {
    model: "tiny",
    prompt: "La cuantización",
    options: { num_predict: 12 },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  assert.equal(res.headers.get("x-kit-offline"), "1");
  const lines = await ndjsonLines(res);
  const wallNs = (performance.now() - t0) * 1e6;
  const chunks = lines.slice(0, -1);
  const last = lines.at(-1)!;
  assert.equal(chunks.length, 12, "one chunk per token, num_predict honoured");
  for (const c of chunks) {
    assert.deepEqual(keys(c), ["created_at", "done", "model", "response"]);
    assert.equal(c.model, "tiny");
    assert.equal(c.done, false);
    assert.equal(typeof c.response, "string");
    assert.ok(isIso(c.created_at));
  }
  assert.deepEqual(
    keys(last),
    [
      "created_at",
      "done",
      "done_reason",
      "model",
      "response",
      ...STATS,
    ].sort(),
  );
  assert.equal(last.done, true);
  assert.equal(last.response, "");
  assert.equal(last.done_reason, "length");
  for (const k of STATS) assert.ok(Number.isInteger(last[k]) && (last[k] as number) >= 0, k);
  assert.equal(last.eval_count, 12);
  assert.ok((last.prompt_eval_count as number) > 0);
  // Nanoseconds: the server's total fits inside the client's wall clock, and exceeds 0.1 ms.
  const total = last.total_duration as number;
  assert.ok(total <= wallNs && total > 1e5, `total_duration ${total} ns vs wall ${wallNs} ns`);
  assert.ok((last.eval_duration as number) + (last.prompt_eval_duration as number) <= total);
});

Deno.test("POST /api/generate with stream:false = the streamed text, in one object", async () => {
  const body = { model: "tiny", prompt: "El modelo", options: { num_predict: 10 } };
  const streamed = (await ndjsonLines(await post(`${url}/api/generate`, body)))
    .map((l) => l.response).join("");
  const res = await post(`${url}/api/generate`, { ...body, stream: false });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^application\/json/);
  const one = await res.json();
  assert.equal(one.done, true);
  assert.equal(one.response, streamed);
  assert.equal(one.eval_count, 10);
  for (const k of STATS) assert.ok(Number.isInteger(one[k]), k);
});

Deno.test("POST /api/chat: message chunks {role, content}; final chunk with stats", async () => {
  const res = await post(`${url}/api/chat`, {
    model: "tiny",
    messages: [{ role: "user", content: "¿Qué es la cuantización?" }],
    options: { num_predict: 6 },
  });
  const lines = await ndjsonLines(res);
  for (const c of lines.slice(0, -1)) {
    assert.deepEqual(keys(c), ["created_at", "done", "message", "model"]);
    assert.deepEqual(keys(c.message as object), ["content", "role"]);
    assert.equal((c.message as { role: string }).role, "assistant");
  }
  const last = lines.at(-1)!;
  assert.equal(last.done, true);
  assert.deepEqual(last.message, { role: "assistant", content: "" });
  for (const k of STATS) assert.ok(Number.isInteger(last[k]), k);
  const one = await (await post(`${url}/api/chat`, {
    model: "tiny",
    messages: [{ role: "user", content: "¿Qué es la cuantización?" }],
    options: { num_predict: 6 },
    stream: false,
  })).json();
  assert.equal(
    one.message.content,
    lines.map((l) => (l.message as { content: string }).content).join(""),
  );
});

Deno.test("errors: 400 no model / bad JSON, 404 missing model, 500 load failure", async () => {
  const cases: [unknown, number, string][] = [
    [{ prompt: "x" }, 400, "model is required"],
    [{ model: "nope", prompt: "x" }, 404, "model 'nope' not found"],
  ];
  for (const [body, status, error] of cases) {
    const res = await post(`${url}/api/generate`, body);
    assert.equal(res.status, status);
    assert.match(res.headers.get("content-type")!, /^application\/json/);
    assert.deepEqual(await res.json(), { error });
  }
  const bad = await fetch(`${url}/api/generate`, { method: "POST", body: "{not json" });
  assert.equal(bad.status, 400);
  assert.equal(typeof (await bad.json()).error, "string");
  for (const stream of [true, false]) {
    const res = await post(`${url}/api/generate`, { model: "broken", prompt: "x", stream });
    assert.equal(res.status, 500);
    assert.match((await res.json()).error, /error loading model broken:latest: onnxruntime/);
  }
});

Deno.test("an error during generation arrives as an {error} line after the tokens", async () => {
  const res = await post(`${url}/api/generate`, { model: "flaky", prompt: "El modelo" });
  assert.equal(res.status, 200);
  const lines = await ndjsonLines(res);
  assert.equal(lines.length, 4);
  assert.ok(lines.slice(0, 3).every((l) => l.done === false));
  assert.deepEqual(lines[3], { error: "CUDA out of memory (simulado)" });
  const single = await post(`${url}/api/generate`, { model: "flaky", prompt: "x", stream: false });
  assert.equal(single.status, 500);
  assert.deepEqual(await single.json(), { error: "CUDA out of memory (simulado)" });
});

Deno.test("a client that hangs up frees the server; /api/ps; keep_alive 0 unloads", async () => {
  const res = await post(`${url}/api/generate`, {
    model: "tiny",
    prompt: "El modelo",
    options: { num_predict: 100000 },
  });
  const reader = res.body!.getReader();
  await reader.read().then(() => reader.cancel());
  const t0 = performance.now();
  const next = await (await post(`${url}/api/generate`, {
    model: "tiny",
    prompt: "La memoria",
    stream: false,
    options: { num_predict: 3 },
  })).json();
  assert.equal(next.eval_count, 3);
  // 100 000 tokens take minutes: well under that, the abandoned generation has stopped.
  assert.ok(performance.now() - t0 < 30_000, "the abandoned generation did not hold the queue");

  const ps = await (await fetch(`${url}/api/ps`)).json();
  const tiny = ps.models.find((m: { name: string }) => m.name === "tiny:latest");
  assert.deepEqual(
    keys(tiny),
    [
      "details",
      "digest",
      "expires_at",
      "model",
      "name",
      "context_length",
      "size",
      "size_vram",
    ].sort(),
  );
  const shown = await (await post(`${url}/api/show`, { model: "tiny" })).json();
  assert.equal(tiny.context_length, Number(/num_ctx\s+(\d+)/.exec(shown.parameters)![1]));
  const left = Date.parse(tiny.expires_at) - Date.now();
  assert.ok(left > 4 * 60_000 && left <= 5 * 60_000, "default keep_alive is 5 minutes");
  const unload = await (await post(`${url}/api/generate`, { model: "tiny", keep_alive: 0 })).json();
  assert.equal(unload.done_reason, "unload");
  const after = await (await fetch(`${url}/api/ps`)).json();
  assert.ok(!after.models.some((m: { name: string }) => m.name === "tiny:latest"));
  const load = await (await post(`${url}/api/generate`, { model: "tiny" })).json();
  assert.equal(load.done_reason, "load");
});

Deno.test("keepAliveMs reads Ollama's durations", () => {
  assert.equal(keepAliveMs(undefined), 300_000);
  assert.equal(keepAliveMs("10s"), 10_000);
  assert.equal(keepAliveMs("1h"), 3_600_000);
  assert.equal(keepAliveMs(0), 0);
  assert.equal(keepAliveMs(-1), Infinity);
  assert.throws(() => keepAliveMs("soon"));
});

Deno.test("the real ollama npm client parses every answer", async () => {
  const client = new Ollama({ host: url });
  assert.equal((await client.version()).version, OFFLINE_VERSION);
  assert.ok((await client.list()).models.some((m) => m.name === "tiny:latest"));
  assert.equal((await client.show({ model: "tiny" })).details.family, "llama");
  await client.ps();
  const pulled = [];
  for await (const p of await client.pull({ model: "tiny", stream: true })) pulled.push(p.status);
  assert.equal(pulled.at(-1), "success");
  const opts = { num_predict: 8, temperature: 0 };
  const one = await client.generate({ model: "tiny", prompt: "El modelo", options: opts });
  let streamed = "";
  for await (
    const c of await client.generate({
      model: "tiny",
      prompt: "El modelo",
      options: opts,
      stream: true,
    })
  ) streamed += c.response;
  assert.equal(one.response, streamed);
  assert.equal(one.eval_count, 8);
  const chat = await client.chat({
    model: "tiny",
    messages: [{ role: "user", content: "Hola" }],
    options: opts,
  });
  assert.equal(chat.message.role, "assistant");
  await assert.rejects(
    client.generate({ model: "nope", prompt: "x" }),
    (e: Error & { status_code?: number }) => e.status_code === 404 && /not found/.test(e.message),
  );
  await assert.rejects(
    (async () => {
      for await (const _ of await client.generate({ model: "flaky", prompt: "x", stream: true })) {
        // drain
      }
    })(),
    /CUDA out of memory/,
  );
});

Deno.test({
  name: "close the server (last)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await server.close();
    assert.ok(log.some((l) => l.includes('POST "/api/generate"')));
  },
});
