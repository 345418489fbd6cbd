/**
 * Method 3's backend (lib/methods/ollama) against the offline server generating with the
 * forge's `tiny`: streamed = non-streamed, the exact greedy text (checked against an independent
 * corpus-bigram oracle), Ollama's timings converted from ns, each failure mapped to a clear
 * error, abort and timeout. Each test has its own server.
 */
import assert from "node:assert/strict";
import { readThenAbort } from "./backend_contract.ts";
import { KitError } from "../lib/core/mod.ts";
import { localBackend } from "../lib/methods/optimized/local.ts";
import {
  ollamaBackend,
  ollamaTokensPerSecond,
  ollamaVersion,
  timingRows,
} from "../lib/methods/ollama/backend.ts";
import { freePort, greedyTiny, startTestServer } from "./ollama_helpers.ts";

type TestServer = Awaited<ReturnType<typeof startTestServer>>;
type OllamaBackend = Awaited<ReturnType<typeof ollamaBackend>>;

/**
 * Runs `fn` with its own offline server and a backend on its `tiny`, both closed after: no test
 * depends on another's server, or on the order the tests run in.
 */
async function withServer(
  fn: (server: TestServer, backend: OllamaBackend) => Promise<void>,
): Promise<void> {
  const server = await startTestServer();
  try {
    const backend = await ollamaBackend({ model: "tiny", host: server.url });
    try {
      await fn(server, backend);
    } finally {
      await backend.close();
    }
  } finally {
    await server.close();
  }
}

Deno.test("the backend says the server is the kit's offline stand-in", async () => {
  await withServer(async (server, backend) => {
    assert.equal(backend.name, "Ollama");
    assert.equal(backend.method, 3);
    assert.equal(backend.mode, "offline");
    assert.match(backend.serverVersion, /kit-offline/);
    assert.deepEqual(await ollamaVersion(server.url), {
      version: backend.serverVersion,
      offline: true,
    });
  });
});

Deno.test("streamed pieces = generate()'s text, for a prompt and for chat messages", async () => {
  await withServer(async (_server, backend) => {
    for (const input of ["La memoria", [{ role: "user" as const, content: "¿Qué es Ollama?" }]]) {
      const s = backend.stream(input, { maxTokens: 16 });
      const pieces: string[] = [];
      for await (const p of s) pieces.push(p);
      const streamed = await s.result;
      const whole = await backend.generate(input, { maxTokens: 16 });
      assert.equal(pieces.join(""), whole.text);
      assert.equal(streamed.text, whole.text);
      assert.equal(whole.tokensOut, 16);
      assert.equal(pieces.length, 16, "one piece per token");
    }
  });
});

Deno.test("greedy text from tiny = the corpus bigram chain, and = localBackend() directly", async () => {
  await withServer(async (_server, backend) => {
    const direct = await localBackend({ model: "tiny" });
    for (const prompt of ["La cuantización", "El modelo"]) {
      const r = await backend.generate(prompt, { maxTokens: 20 });
      assert.equal(r.text, await greedyTiny(prompt, 20));
      assert.equal(r.stopReason, "length");
      assert.equal((await direct.generate(prompt, { maxTokens: 20 })).text, r.text);
    }
  });
});

Deno.test("Ollama's own timings: ns converted to ms, next to the client's", async () => {
  await withServer(async (_server, backend) => {
    const r = await backend.generate("El modelo", { maxTokens: 10 });
    const s = r.serviceTimings!;
    for (const k of ["total_duration", "prompt_eval_duration", "eval_duration"]) {
      assert.equal(typeof s[k], "number", k);
    }
    // ms, not ns: the server's whole request fits inside what the client measured.
    assert.ok(s.total_duration > 0 && s.total_duration <= r.timings.totalMs, JSON.stringify(s));
    assert.equal(r.details?.eval_count, 10);
    assert.equal(r.tokensOut, 10);
    assert.ok(r.tokensIn > 0);
    assert.equal(
      r.details?.ollama_tokens_per_second,
      ollamaTokensPerSecond({ eval_count: 10, eval_duration: s.eval_duration * 1e6 }),
    );
    const rows = timingRows(r);
    assert.equal(rows.find((x) => x.measure === "tokens/s")?.client, r.timings.tokensPerSecond);
    assert.ok(r.timings.ttftMs! > 0);
  });
});

Deno.test("model not found → KitError not_found, offering the pull", async () => {
  await withServer(async (server) => {
    const other = await ollamaBackend({ model: "llama3.2:1b", host: server.url });
    await assert.rejects(other.generate("Hola"), (e: KitError) => {
      assert.ok(e instanceof KitError);
      assert.equal(e.kind, "not-found");
      assert.equal(e.status, 404);
      assert.match(e.message, /backend\.pull\("llama3\.2:1b"\)/);
      assert.match(e.message, /scripts\/ollama_pull\.sh llama3\.2:1b/);
      return true;
    });
    await assert.rejects(other.pull(), (e: KitError) => e.kind === "stream-cut");
  });
});

Deno.test("500 from the server → KitError server with the server's words", async () => {
  await withServer(async (server) => {
    const broken = await ollamaBackend({ model: "broken", host: server.url });
    await assert.rejects(broken.generate("Hola"), (e: KitError) => {
      assert.equal(e.kind, "server");
      assert.equal(e.status, 500);
      assert.match(e.serverMessage!, /onnxruntime/);
      return true;
    });
  });
});

Deno.test("an error line mid-stream → KitError stream; the pieces before it arrived", async () => {
  await withServer(async (server) => {
    const flaky = await ollamaBackend({ model: "flaky", host: server.url });
    const s = flaky.stream("El modelo", { maxTokens: 10 });
    const pieces: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const p of s) pieces.push(p);
      })(),
      (e: KitError) => e.kind === "stream-cut" && /CUDA out of memory/.test(e.message),
    );
    assert.equal(pieces.length, 3);
    await assert.rejects(s.result, KitError);
  });
});

Deno.test("server down → KitError server_down naming scripts/ollama_start.sh", async () => {
  const host = `http://127.0.0.1:${freePort()}`;
  await assert.rejects(ollamaBackend({ model: "tiny", host }), (e: KitError) => {
    assert.equal(e.kind, "server-down");
    assert.match(e.message, /scripts\/ollama_start\.sh/);
    return true;
  });
});

Deno.test("abort keeps the text so far; timeout reports it; the server is free after", async () => {
  await withServer(async (server, backend) => {
    // "stalling" sends tiny's first 3 tokens, then nothing until its generation is aborted: each
    // call below can only end by the abort or the timeout it tests, whatever the machine's speed.
    const stalling = await ollamaBackend({ model: "stalling", host: server.url });
    const first3 = (await backend.generate("El modelo", { maxTokens: 3 })).text;

    const s = stalling.stream("El modelo", { maxTokens: 1000 });
    const pieces = await readThenAbort(s, 3);
    const r = await s.result;
    assert.equal(r.stopReason, "abort");
    assert.equal(r.text, pieces.join(""));
    assert.equal(r.text, first3);

    const controller = new AbortController();
    const byCaller = stalling.stream("El modelo", { maxTokens: 1000, signal: controller.signal });
    let seen = 0;
    for await (const _ of byCaller) if (++seen === 3) controller.abort();
    const aborted = await byCaller.result;
    assert.equal(aborted.stopReason, "abort");
    assert.equal(aborted.text, first3);

    const timed = await stalling.generate("El modelo", { maxTokens: 1000, timeoutMs: 200 });
    assert.equal(timed.stopReason, "timeout");
    assert.ok(first3.startsWith(timed.text), `${timed.text} is not a prefix of ${first3}`);

    // Each stalled generation above holds the server's one queue until the server sees its client
    // go and aborts it (else until the server's own 2-minute limit): only then can tiny answer.
    const next = await backend.generate("La memoria", { maxTokens: 4, timeoutMs: 60_000 });
    assert.equal(next.stopReason, "length");
    assert.equal(next.tokensOut, 4);
    await stalling.close();
  });
});

Deno.test("pull, list, ps, show", async () => {
  await withServer(async (_server, backend) => {
    const statuses = await backend.pull("tiny", { quiet: true });
    assert.equal(statuses[0].status, "pulling manifest");
    assert.equal(statuses.at(-1)?.status, "success");
    const list = await backend.list();
    const tiny = list.find((m) => m.name === "tiny:latest");
    assert.ok(tiny && tiny.sizeMB > 1);
    // ps lists the models loaded now: tiny, once it has generated on this server.
    await backend.generate("La memoria", { maxTokens: 1 });
    assert.ok((await backend.ps()).some((m) => m.name === "tiny:latest"));
    assert.equal((await backend.show()).details.family, "llama");
  });
});

Deno.test("a closed backend refuses to generate; with the server gone, a new one says so", async () => {
  const server = await startTestServer();
  const backend = await ollamaBackend({ model: "tiny", host: server.url });
  await backend.close();
  await server.close();
  await assert.rejects(backend.generate("x"), (e: KitError) => e.kind === "closed");
  await assert.rejects(
    ollamaBackend({ model: "tiny", host: backend.host }),
    (e: KitError) => e.kind === "server-down",
  );
});
