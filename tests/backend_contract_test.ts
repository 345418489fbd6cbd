/**
 * The backend contract (tests/backend_contract.ts) on all four methods, each on the forge's
 * `tiny` model and offline: methods 1–2 in this process, method 3 through the offline
 * Ollama-protocol server, method 4 through the offline Groq-protocol server. Each test opens
 * and closes its own backend and server, with KIT_OFFLINE=1 for its own duration only.
 */
import assert from "node:assert/strict";
import { offlineTest } from "./_env.ts";
import { createOptimizedBackend } from "../lib/methods/optimized/backend.ts";
import { createPipelineBackend } from "../lib/methods/pipeline/backend.ts";
import { localBackend } from "../lib/methods/optimized/local.ts";
import { ollamaBackend } from "../lib/methods/ollama/backend.ts";
import { groqBackend } from "../lib/methods/groq/backend.ts";
import { startGroqServer } from "../lib/methods/groq/standin/server.ts";
import { CHAT_PROMPT, contract, PLAIN_PROMPT } from "./backend_contract.ts";
import { startTestServer } from "./ollama_helpers.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";

offlineTest("method 1 (pipeline, library defaults): the backend contract on tiny", async () => {
  const backend = await createPipelineBackend({ model: "tiny" });
  try {
    assert.equal(backend.method, 1);
    await contract(backend, { oracle: PLAIN_PROMPT, inProcess: true });
  } finally {
    await backend.close();
  }
});

offlineTest("method 2 (optimized, fp32): the backend contract on tiny", async () => {
  const backend = await createOptimizedBackend({ model: "tiny", dtype: "fp32" });
  try {
    assert.equal(backend.dtype, "fp32");
    assert.equal(backend.device, "cpu");
    assert.equal(backend.mode, "offline");
    await contract(backend, { oracle: PLAIN_PROMPT, inProcess: true });
  } finally {
    await backend.close();
  }
});

offlineTest("method 3 (Ollama, offline stand-in): the backend contract on tiny", async () => {
  const server = await startTestServer();
  try {
    const backend = await ollamaBackend({ model: "tiny", host: server.url });
    try {
      assert.equal(backend.method, 3);
      assert.equal(backend.mode, "offline");
      await contract(backend, { oracle: PLAIN_PROMPT, inProcess: false });
    } finally {
      await backend.close();
    }
  } finally {
    await server.close();
  }
});

offlineTest("method 4 (Groq, offline stand-in): the backend contract on tiny", async () => {
  // The stand-in's generator is shared in the process (localBackend): the server does not
  // close it, and neither does this test.
  const server = await startGroqServer({ backend: await localBackend({ model: "tiny" }) });
  try {
    const backend = await groqBackend({
      apiKey: FAKE_GROQ_KEY,
      baseURL: server.url,
      notify: () => {},
    });
    try {
      assert.equal(backend.method, 4);
      assert.equal(backend.mode, "offline");
      assert.equal(backend.model, server.modelId);
      await contract(backend, { oracle: CHAT_PROMPT, inProcess: false });
    } finally {
      await backend.close();
    }
  } finally {
    await server.close();
  }
});
