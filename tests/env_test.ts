/** lib/core/config and lib/env: .env loading, the one config, secrets, hosts, hardware parsing. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  findSecrets,
  isYes,
  kitConfig,
  loadEnv,
  malformedEnvLines,
  maskSecret,
  parseOllamaHost,
} from "../lib/core/mod.ts";
import { parseNvidiaSmi } from "../lib/env/mod.ts";
import { tempDir } from "./_notebooks.ts";
import { withEnv } from "./groq_helpers.ts";

Deno.test("malformedEnvLines: comments, blanks, export and multi-line quotes are fine", () => {
  const text = [
    "# comentario", // 1
    "", // 2
    "A=1", // 3
    "export B = dos", // 4
    'C="línea uno', // 5
    "línea dos sin igual", // 6 (inside the quoted value)
    'fin"', // 7
    "esto no es una variable", // 8
    "D='x'", // 9
    "=sin nombre", // 10
  ].join("\n");
  assert.deepEqual(malformedEnvLines(text), [8, 10]);
});

Deno.test("loadEnv: loads values, keeps existing ones, reports a bad line by number only", () => {
  const dir = tempDir("env-");
  const path = join(dir, ".env");
  const secret = "gsk_" + "S3cr3tValueThatMustNotLeak".repeat(2);
  writeFileSync(path, `KIT_T_A=uno\nKIT_T_B="dos tres"\n${secret}\nKIT_T_KEEP=archivo\n`);
  Deno.env.set("KIT_T_KEEP", "entorno");
  try {
    const res = loadEnv(path);
    assert.deepEqual(res.badLines, [3]);
    assert.deepEqual(res.keys.sort(), ["KIT_T_A", "KIT_T_B", "KIT_T_KEEP"]);
    assert.equal(Deno.env.get("KIT_T_A"), "uno");
    assert.equal(Deno.env.get("KIT_T_B"), "dos tres");
    assert.equal(Deno.env.get("KIT_T_KEEP"), "entorno", "the environment wins over .env");
    assert.equal(res.messages.length, 1);
    assert.match(res.messages[0], /\.env, línea 3/);
    assert.ok(!res.messages[0].includes("S3cr3t"), "the line's content is not echoed");
  } finally {
    for (const k of ["KIT_T_A", "KIT_T_B", "KIT_T_KEEP"]) Deno.env.delete(k);
  }
});

Deno.test("loadEnv: no .env → defaults, said once", () => {
  const missing = join(tempDir("env-"), ".env");
  const first = loadEnv(missing);
  const second = loadEnv(missing);
  assert.equal(first.found, false);
  // The message is printed once per process; whichever call came first in this process said it.
  assert.equal(second.messages.length, 0);
});

Deno.test("maskSecret shows no character of the secret part", () => {
  const key = "gsk_" + "AbCdEfGh12345678".repeat(3);
  const masked = maskSecret(key);
  assert.equal(masked, `gsk_•••• (${key.length} caracteres)`);
  assert.equal(maskSecret("xyz123456"), "•••• (9 caracteres)");
  assert.deepEqual(findSecrets(masked), []);
  assert.deepEqual(findSecrets(`a ${key} b`), [key]);
});

Deno.test("parseOllamaHost reads OLLAMA_HOST as Ollama does", () => {
  assert.equal(parseOllamaHost(undefined), "http://127.0.0.1:11434");
  assert.equal(parseOllamaHost(""), "http://127.0.0.1:11434");
  assert.equal(parseOllamaHost("0.0.0.0"), "http://127.0.0.1:11434");
  assert.equal(parseOllamaHost("192.168.1.5:8080"), "http://192.168.1.5:8080");
  assert.equal(parseOllamaHost("https://ollama.example.com"), "https://ollama.example.com");
  assert.equal(parseOllamaHost("http://localhost:11434/"), "http://localhost:11434");
});

Deno.test("a malformed OLLAMA_HOST is a Spanish error in the config, not a crash", async () => {
  assert.throws(
    () => parseOllamaHost("::garbage::"),
    /OLLAMA_HOST="::garbage::" no es una dirección/,
  );
  await withEnv({ OLLAMA_HOST: "::garbage::" }, () => {
    const cfg = kitConfig();
    assert.equal(cfg.ollama.host, null);
    assert.match(cfg.ollama.hostError ?? "", /no es una dirección/);
  });
});

Deno.test("isYes accepts the usual yes values only; kitConfig reads KIT_OFFLINE", async () => {
  for (const v of ["1", "true", "YES", "sí", "si"]) assert.ok(isYes(v), v);
  for (const v of ["", "0", "false", "no", undefined]) assert.ok(!isYes(v), String(v));
  await withEnv({ KIT_OFFLINE: undefined }, () => assert.equal(kitConfig().offline, false));
  await withEnv({ KIT_OFFLINE: "1" }, () => assert.equal(kitConfig().offline, true));
});

Deno.test(".env values reach kitConfig; the real environment wins", async () => {
  const dir = tempDir("env-");
  const file = join(dir, "clase.env");
  writeFileSync(file, "OLLAMA_MODEL=desde-env-file\nGROQ_MODEL=modelo-env\n");
  await withEnv(
    { KIT_ENV_FILE: file, OLLAMA_MODEL: undefined, GROQ_MODEL: "del-entorno" },
    () => {
      const cfg = kitConfig();
      assert.equal(cfg.ollama.model, "desde-env-file");
      assert.equal(cfg.groq.model, "del-entorno");
    },
  );
  Deno.env.delete("OLLAMA_MODEL");
});

Deno.test("parseNvidiaSmi: names with commas, MiB to bytes", () => {
  const gpus = parseNvidiaSmi("NVIDIA H200, 143771, 1024\nTesla T4, rev, 15360, 0\n");
  assert.deepEqual(gpus, [
    { name: "NVIDIA H200", memoryTotalBytes: 143771 * 2 ** 20, memoryUsedBytes: 1024 * 2 ** 20 },
    { name: "Tesla T4, rev", memoryTotalBytes: 15360 * 2 ** 20, memoryUsedBytes: 0 },
  ]);
  assert.deepEqual(parseNvidiaSmi(""), []);
});
