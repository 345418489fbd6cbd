/**
 * Items 4–9 of issue 19: methods 1 and 2 online, end to end, against a local server laid out
 * like the hub (tests/hub_like.ts) named by HF_ENDPOINT: the download shows its progress, lands
 * in the kit's cache folder (.cache/hf, not Deno's web cache), a second run reads the cache
 * (the server serves nothing more), and a gated model says in Spanish what to do, without and
 * with a token (HF_TOKEN sent to the mirror too).
 */
import assert from "node:assert/strict";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { KitError } from "../lib/core/mod.ts";
import { pipeline } from "@huggingface/transformers";
import { createPipelineBackend, prepareModel } from "../lib/methods/pipeline/backend.ts";
import { createOptimizedBackend, defaultDtype } from "../lib/methods/optimized/backend.ts";
import { onnxBytes } from "../lib/methods/optimized/dtype_compare.ts";
import { configureTransformers, HF_CACHE_DIR } from "../lib/methods/hf/transformers.ts";
import { hubDtypes } from "../lib/methods/hf/hub_download.ts";
import { resolveModel } from "../lib/methods/hf/catalogue.ts";
import { hubMode } from "../lib/methods/hf/mode.ts";
import { defaultModelDir } from "../lib/forge/mod.ts";
import { HUB_TOKEN, type HubLike, startHubLike, startSilentServer } from "./hub_like.ts";
import { captureConsole, withEnv } from "./groq_helpers.ts";

const OPEN = "kit-test/tiny-hub";
const GATED = "kit-test/tiny-gated";
/** The catalogue's online default, served (forged `tiny` under its id) by the fake hub. */
const DEFAULT_ONLINE = "HuggingFaceTB/SmolLM2-135M-Instruct";
/** A hub id the catalogue does not know, published without its q8 file. */
const NO_Q8 = "kit-test/tiny-sin-q8";
const clean = () => {
  for (const d of ["kit-test", DEFAULT_ONLINE]) {
    rmSync(join(HF_CACHE_DIR, d), { recursive: true, force: true });
  }
};

/**
 * Runs `fn` with its own fake hub and an empty cache for the test's models, so that each test
 * passes alone and in any order; `env` is the environment that points the kit at that hub.
 */
async function withHub(
  fn: (
    hub: HubLike,
    env: (extra?: Record<string, string | undefined>) => Record<string, string | undefined>,
  ) => Promise<void>,
): Promise<void> {
  const hub = await startHubLike([OPEN, DEFAULT_ONLINE, NO_Q8], [GATED], {
    [NO_Q8]: ["onnx/model_quantized.onnx"],
    [DEFAULT_ONLINE]: ["onnx/model_quantized.onnx"], // as data/models.json says of the real one
  });
  const env = (extra: Record<string, string | undefined> = {}) => ({
    KIT_OFFLINE: undefined,
    KIT_ENV_FILE: "/nonexistent/.env",
    HF_ENDPOINT: hub.url,
    HF_TOKEN: undefined,
    ...extra,
  });
  clean();
  try {
    await fn(hub, env);
  } finally {
    await hub.close();
    clean();
  }
}

Deno.test("hub mirror: HF_ENDPOINT is probed and used; download with progress into .cache/hf; second run from cache", async () => {
  await withHub(async (hub, env) => {
    await withEnv(env(), async () => {
      const mode = await hubMode(1);
      assert.equal(mode.mode, "online");
      assert.ok(mode.reason.includes(hub.url), mode.reason);
      const { value: b, text } = await captureConsole(() => createPipelineBackend({ model: OPEN }));
      const r = await b.generate("La memoria", { maxTokens: 5 });
      await b.close();
      assert.equal(b.mode, "online");
      assert.ok(r.tokensOut > 0);
      assert.match(text, new RegExp(`Descargando ${OPEN}`));
      const config = join(HF_CACHE_DIR, OPEN, "config.json");
      assert.ok(existsSync(config), "the model is in the kit's cache folder");
      // The cached file is the served one, byte for byte in size.
      assert.equal(
        statSync(config).size,
        statSync(join(defaultModelDir("tiny"), "config.json")).size,
      );
      const before = [...hub.served.values()].reduce((a, n) => a + n, 0);
      const again = await captureConsole(() => createPipelineBackend({ model: OPEN }));
      const r2 = await again.value.generate("La memoria", { maxTokens: 5 });
      await again.value.close();
      assert.equal(r2.text, r.text);
      assert.equal(
        [...hub.served.values()].reduce((a, n) => a + n, 0),
        before,
        "nothing downloaded",
      );
      assert.doesNotMatch(again.text, /Descargando/);
    });
  });
});

Deno.test("method 2 online: the default dtype is one the model has (q8 if present, else q4 …)", async () => {
  await withHub(async (_hub, env) => {
    assert.equal(defaultDtype(["fp32", "fp16", "q4"]), "q4");
    assert.equal(defaultDtype(["fp32", "fp16", "q8", "q4"]), "q8");
    assert.equal(defaultDtype(["fp32"]), "fp32");
    await withEnv(env(), async () => {
      const { value: b } = await captureConsole(() =>
        createOptimizedBackend({ model: OPEN, dtype: "q4" })
      );
      const r = await b.generate("La memoria", { maxTokens: 4 });
      await b.close();
      assert.equal(b.dtype, "q4");
      assert.ok(r.tokensOut > 0);
      assert.ok(existsSync(join(HF_CACHE_DIR, OPEN, "onnx", "model_q4.onnx")));
      // Notebook 02's file sizes: a hub model's file is read from the cache (item 8).
      const q4 = join(defaultModelDir("tiny"), "onnx", "model_q4.onnx");
      assert.equal(onnxBytes(OPEN, "q4"), statSync(q4).size);
      assert.equal(onnxBytes("kit-test/no-existe", "q4"), null);
      // No arguments: the online default (its hub folder has no q8, data/models.json says) in q4.
      const { value: d } = await captureConsole(() => createOptimizedBackend());
      assert.equal(d.model, DEFAULT_ONLINE);
      assert.equal(d.dtype, "q4");
      await d.close();
      // A hub id the catalogue does not know: its dtypes are asked of the hub.
      const { value: n } = await captureConsole(() => createOptimizedBackend({ model: NO_Q8 }));
      assert.equal(n.dtype, "q4");
      await n.close();
      const e = await createOptimizedBackend({ model: NO_Q8, dtype: "q8" }).then(
        () => null,
        (x) => x,
      );
      assert.ok(e instanceof KitError, String(e));
      assert.equal(e.kind, "unsupported");
      assert.match(e.message, /no tiene pesos en q8; dtypes disponibles: fp32, fp16, q4/);
    });
  });
});

Deno.test("gated model: without a token, a Spanish message (variable, licence page); a wrong token, 403; the right one works", async () => {
  await withHub(async (hub, env) => {
    await withEnv(env(), async () => {
      const e = await createPipelineBackend({ model: GATED }).then(() => null, (x) => x);
      assert.ok(e instanceof KitError, String(e));
      assert.equal(e.kind, "missing-key");
      assert.equal(e.status, 401);
      assert.match(e.message, /acceso restringido \(«gated»\)/);
      assert.match(e.message, /HF_TOKEN/);
      assert.ok(e.message.includes(`${hub.url}/${GATED}`), e.message);
      assert.doesNotMatch(e.message, /Unauthorized access to file/);
      // Notebook 01's three lines start with prepareModel: the same Spanish message there.
      const p = await prepareModel(GATED).then(() => null, (x) => x);
      assert.ok(p instanceof KitError && p.kind === "missing-key", String(p));
      assert.match(p.message, /acceso restringido \(«gated»\)/);
    });
    await withEnv(env({ HF_TOKEN: "hf_" + "otraCUENTA".repeat(4) }), async () => {
      const e = await createOptimizedBackend({ model: GATED, dtype: "q4" }).then(
        () => null,
        (x) => x,
      );
      assert.ok(e instanceof KitError, String(e));
      assert.equal(e.kind, "forbidden");
      assert.equal(e.status, 403);
      assert.doesNotMatch(e.message, /otraCUENTA/, "the token is never in a message");
    });
    await withEnv(env({ HF_TOKEN: HUB_TOKEN }), async () => {
      const { value: b } = await captureConsole(() => createPipelineBackend({ model: GATED }));
      assert.ok((await b.generate("La memoria", { maxTokens: 3 })).tokensOut > 0);
      await b.close();
      // The ONNX file came through the hub's redirect to its CDN, which never saw the token.
      assert.equal(hub.served.get(`${GATED}/onnx/model.onnx`), 1);
      assert.equal(hub.cdnSawToken, 0, "HF_TOKEN is sent to the hub only, not where it redirects");
      const { value: id } = await captureConsole(() => prepareModel(GATED, { dtype: "q4" }));
      assert.equal(id, GATED);
      assert.equal(hub.served.get(`${GATED}/onnx/model_q4.onnx`), 1);
      assert.equal(hub.cdnSawToken, 0);
    });
  });
});

Deno.test("notebook 01's three lines: prepareModel downloads with a bar; pipeline() then reads the cache", async () => {
  await withHub(async (hub, env) => {
    await withEnv(env(), async () => {
      const { value: id, text } = await captureConsole(() => prepareModel(DEFAULT_ONLINE));
      assert.equal(id, DEFAULT_ONLINE);
      // One bar; it ends at 100 % with done = total = the bytes now in the cache, though the
      // small files came without Content-Length.
      const end = /Descargando \S+ █+ 100 % \((\d+)\/(\d+)\) descargado/.exec(text);
      assert.ok(end, text);
      assert.equal(end[1], end[2]);
      // All of model.onnx at least; at most what is in the cache now (transformers.js may have
      // fetched config.json itself to list the files).
      const files = ["config.json", "onnx/model.onnx", "generation_config.json", "tokenizer.json"];
      const bytes = [...files, "tokenizer_config.json"].map((f) =>
        statSync(join(HF_CACHE_DIR, DEFAULT_ONLINE, f)).size
      );
      assert.ok(Number(end[1]) >= bytes[1] && Number(end[1]) <= bytes.reduce((a, n) => a + n, 0));
      // The file the library's default pipeline loads is in the kit's cache, whole.
      const model = join(HF_CACHE_DIR, DEFAULT_ONLINE, "onnx", "model.onnx");
      assert.equal(
        statSync(model).size,
        statSync(join(defaultModelDir("tiny"), "onnx", "model.onnx")).size,
      );
      const before = hub.served.get(`${DEFAULT_ONLINE}/onnx/model.onnx`);
      assert.equal(before, 1);
      const { value: generator } = await captureConsole(() => pipeline("text-generation", id));
      const out = await generator("La memoria", { max_new_tokens: 3 });
      await generator.dispose();
      assert.ok(JSON.stringify(out).includes("La memoria"));
      assert.equal(
        hub.served.get(`${DEFAULT_ONLINE}/onnx/model.onnx`),
        before,
        "read from the cache",
      );
      // A dtype asked for later (notebook 01's q4 cell): only its file is downloaded, with a bar.
      const q4 = await captureConsole(() => prepareModel(DEFAULT_ONLINE, { dtype: "q4" }));
      assert.match(q4.text, /Descargando/);
      assert.equal(hub.served.get(`${DEFAULT_ONLINE}/onnx/model_q4.onnx`), 1);
      assert.equal(hub.served.get(`${DEFAULT_ONLINE}/config.json`), 1, "config.json once");
      const again = await captureConsole(() => prepareModel(DEFAULT_ONLINE, { dtype: "q4" }));
      assert.doesNotMatch(again.text, /Descargando/);
    });
  });
});

Deno.test("a repo the hub does not have (401 RepoNotFound without a token, 404 with one): 'not found', not 'gated'", async () => {
  await withHub(async (_hub, env) => {
    for (const token of [undefined, HUB_TOKEN]) {
      await withEnv(env({ HF_TOKEN: token }), async () => {
        for (
          const load of [
            () => prepareModel("kit-test/no-existe"),
            () => createPipelineBackend({ model: "kit-test/no-existe" }),
          ]
        ) {
          const e = await load().then(() => null, (x) => x);
          assert.ok(e instanceof KitError, String(e));
          assert.equal(e.kind, "not-found");
          assert.equal(e.status, token ? 404 : 401);
          assert.match(e.message, /no tiene el modelo «kit-test\/no-existe»/);
          assert.doesNotMatch(e.message, /gated|licencia/);
        }
      });
    }
  });
});

Deno.test("a hub that does not answer: a Spanish network error (what failed, what to do), not a bare 'fetch failed'", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  await withEnv(
    { KIT_OFFLINE: undefined, KIT_ENV_FILE: "/nonexistent/.env", HF_ENDPOINT: closed },
    async () => {
      const loads = [
        () => prepareModel(OPEN),
        () => createPipelineBackend({ model: OPEN }),
        () => createOptimizedBackend({ model: OPEN, dtype: "q4" }),
      ];
      for (const load of loads) {
        const e = await load().then(() => null, (x) => x);
        assert.ok(e instanceof KitError, String(e));
        assert.equal(e.kind, "network");
        assert.equal(e.retryable, true);
        assert.ok(
          e.message.includes(`No se pudo descargar «${OPEN}» del Hub (${closed})`),
          e.message,
        );
        assert.match(e.message, /KIT_OFFLINE=1/);
      }
    },
  );
});

Deno.test("hubDtypes: a hub that accepts the connection but never answers → null (the catalogue decides) within its time limit", async () => {
  const silent = startSilentServer();
  const url = silent.url;
  try {
    await withEnv(
      { KIT_OFFLINE: undefined, KIT_ENV_FILE: "/nonexistent/.env", HF_ENDPOINT: url },
      async () => {
        configureTransformers(await resolveModel("kit-test/silencio"));
        assert.equal(await hubDtypes("kit-test/silencio", 300), null);
      },
    );
  } finally {
    await silent.close();
    await new Promise((r) => setTimeout(r, 50)); // let the abandoned requests fail
  }
});
