/**
 * A hub download that connects and then stalls (headers and part of the file, then nothing)
 * ends with a Spanish KitError naming the file once no byte has come for the idle limit, leaves
 * nothing partial in the cache, and the next run downloads the file again, whole. The server is
 * the fake hub (tests/hub_like.ts) behind a proxy that, while told to, answers model.onnx with
 * its headers and first KiB and then sends nothing until the client goes. The idle limit is
 * passed short (a few hundred ms) through the functions' options; no assertion reads a clock.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { AutoModelForCausalLM, env } from "@huggingface/transformers";
import { KitError } from "../lib/core/mod.ts";
import { configureTransformers, HF_CACHE_DIR, hubFetch } from "../lib/methods/hf/transformers.ts";
import { downloadModelFiles } from "../lib/methods/hf/hub_download.ts";
import { resolveModel } from "../lib/methods/hf/catalogue.ts";
import { defaultModelDir } from "../lib/forge/mod.ts";
import { type HubLike, startHubLike, startSilentServer } from "./hub_like.ts";
import { captureConsole } from "./groq_helpers.ts";
import { withEnv } from "./_env.ts";

const ID = "kit-test/tiny-lento";
const FILE = "onnx/model.onnx";
const IDLE_MS = 300;

/** The fake hub behind a proxy that stalls `FILE` while `stall` is true. */
async function startStallingHub(): Promise<
  { url: string; hub: HubLike; state: { stall: boolean }; close(): Promise<void> }
> {
  const hub = await startHubLike([ID], []);
  const state = { stall: true };
  const whole = readFileSync(join(defaultModelDir("tiny"), FILE));
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    const full = req.method === "GET" && !req.headers.get("range");
    if (state.stall && full && path === `/${ID}/resolve/main/${FILE}`) {
      // Headers (with the whole size) and the first KiB; then the body waits for ever.
      const body = new ReadableStream<Uint8Array>({
        start: (c) => c.enqueue(whole.subarray(0, 1024)),
        pull: () => new Promise(() => {}),
      });
      return new Response(body, {
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(whole.length),
        },
      });
    }
    return fetch(hub.url + path + new URL(req.url).search, {
      method: req.method,
      headers: req.headers,
      redirect: "manual",
    });
  });
  return {
    url: `http://127.0.0.1:${proxy.addr.port}`,
    hub,
    state,
    async close() {
      await proxy.shutdown();
      await hub.close();
    },
  };
}

/** Every file under the model's cache folder (paths relative to it). */
function cached(): string[] {
  try {
    return readdirSync(join(HF_CACHE_DIR, ID), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(join(HF_CACHE_DIR, ID).length + 1));
  } catch {
    return [];
  }
}

function assertStalled(e: unknown): void {
  assert.ok(e instanceof KitError, String(e));
  assert.equal(e.kind, "timeout");
  assert.equal(e.retryable, true);
  assert.ok(e.message.includes(`${FILE} de «${ID}»`), e.message);
  assert.match(e.message, /se quedó parada: 0\.3 s sin recibir ni un byte/);
  assert.match(e.message, /vuelve a ejecutar la celda/);
  assert.match(e.message, /comprueba la red o, si usas un espejo del Hub, HF_ENDPOINT/);
}

const hubEnv = (url: string) => ({
  KIT_OFFLINE: undefined,
  KIT_ENV_FILE: "/nonexistent/.env",
  HF_ENDPOINT: url,
  HF_TOKEN: undefined,
});

Deno.test("hubFetch: a body that stops after its first KiB fails with a Spanish KitError naming the file", async () => {
  const s = await startStallingHub();
  try {
    const f = hubFetch(s.url, undefined, { idleMs: IDLE_MS, method: 1 });
    const res = await f(`${s.url}/${ID}/resolve/main/${FILE}`);
    assert.equal(res.status, 200);
    const e = await res.arrayBuffer().then(() => null, (x) => x);
    assertStalled(e);
    assert.equal((e as KitError).method, 1);
    // A file that does not stall comes whole through the same fetch.
    const config = await (await f(`${s.url}/${ID}/resolve/main/config.json`)).text();
    assert.equal(config, readFileSync(join(defaultModelDir("tiny"), "config.json"), "utf8"));
  } finally {
    await s.close();
  }
});

Deno.test("hubFetch: a server that accepts the connection and never answers fails the same way", async () => {
  const silent = startSilentServer();
  const url = silent.url;
  try {
    const f = hubFetch(url, undefined, { idleMs: IDLE_MS, method: 2 });
    const e = await f(`${url}/${ID}/resolve/main/${FILE}`).then(() => null, (x) => x);
    assertStalled(e);
  } finally {
    await silent.close();
  }
});

Deno.test("method 1's download: the stalled file is cut, nothing partial stays, the next run downloads it whole", async () => {
  const s = await startStallingHub();
  rmSync(join(HF_CACHE_DIR, ID), { recursive: true, force: true });
  try {
    await withEnv(hubEnv(s.url), async () => {
      const model = await resolveModel(ID);
      configureTransformers(model, 1);
      const first = await captureConsole(() =>
        downloadModelFiles(model, { idleTimeoutMs: IDLE_MS }).then(() => null, (x) => x)
      );
      assertStalled(first.value);
      assert.ok(!cached().includes(FILE), `no ${FILE} in the cache: ${cached()}`);
      assert.deepEqual(cached().filter((f) => f.includes(".tmp")), [], "no temporary file left");

      s.state.stall = false;
      const again = await captureConsole(() => downloadModelFiles(model));
      assert.match(again.text, /Descargando kit-test\/tiny-lento/);
      assert.equal(
        statSync(join(HF_CACHE_DIR, ID, FILE)).size,
        statSync(join(defaultModelDir("tiny"), FILE)).size,
      );
      assert.equal(s.hub.served.get(`${ID}/${FILE}`), 1, "downloaded again, from the hub");
      assert.deepEqual(cached().filter((f) => f.includes(".tmp")), []);
    });
  } finally {
    await s.close();
    rmSync(join(HF_CACHE_DIR, ID), { recursive: true, force: true });
  }
});

Deno.test("method 2's download (transformers.js's own, through hubFetch): the KitError comes out, no partial file", async () => {
  const s = await startStallingHub();
  rmSync(join(HF_CACHE_DIR, ID), { recursive: true, force: true });
  try {
    await withEnv(hubEnv(s.url), async () => {
      configureTransformers(await resolveModel(ID), 2);
      env.fetch = hubFetch(s.url, undefined, { idleMs: IDLE_MS, method: 2 });
      const e = await AutoModelForCausalLM.from_pretrained(ID, { dtype: "fp32" })
        .then(() => null, (x) => x);
      assertStalled(e);
      assert.equal((e as KitError).method, 2);
      assert.ok(!cached().includes(FILE), `no ${FILE} in the cache: ${cached()}`);
      assert.deepEqual(cached().filter((f) => f.includes(".tmp")), []);
    });
  } finally {
    await s.close();
    rmSync(join(HF_CACHE_DIR, ID), { recursive: true, force: true });
  }
});
