/**
 * What notebooks/03_ollama.ipynb must show when executed offline, checked against independent
 * readings: the model files' sha256 and sizes, llama.cpp's own greedy text on the same GGUF (for
 * /api/generate, of the prompt in the model's chat template, as Ollama applies it), the
 * nanosecond stats, and that no `ollama serve` process is left behind.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Notebook } from "../../scripts/nb.ts";
import { taggedText } from "../_notebooks.ts";
import { CACHE_DIR } from "../../lib/core/paths.ts";
import { defaultGgufPath, GGUF_DIR } from "../../lib/forge/mod.ts";
import { greedyGguf } from "../ollama_helpers.ts";
import { kitEsChatIds } from "../_kit_es_oracle.ts";
import { OLLAMA_DEFAULT_HOST } from "../../lib/core/config.ts";
import { ollamaServePids } from "../../lib/methods/ollama/mode.ts";

const PID_FILE = join(CACHE_DIR, "ollama", "ollama.pid");
/** The prompt the notebook's REST and NDJSON cells send to /api/generate (templated). */
const REST_PROMPT = "¿Qué es la cuantización?";
/** The question the streaming cell asks with chat messages. */
const STREAM_QUESTION = "¿Qué ocupa la memoria de la GPU?";
const SPEED_PROMPT = "La memoria de la GPU";

/**
 * If the notebook failed before its stop cell, the server it started with nohup would outlive
 * the test: when this process exits, stop the one in the kit's pid file (and only that one).
 */
globalThis.addEventListener("unload", () => {
  try {
    const pid = Number(readFileSync(PID_FILE, "utf8").trim());
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    if (pid > 0 && cmdline.includes("ollama serve")) Deno.kill(pid, "SIGTERM");
  } catch { /* nothing running */ }
});

function modelFiles(dir: string): { size: number; sha: string }[] {
  const out: { size: number; sha: string }[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out.push({
      size: statSync(p).size,
      sha: createHash("sha256").update(readFileSync(p)).digest("hex"),
    });
  }
  return out;
}

async function servePids(): Promise<number[]> {
  // Only those serving the notebook's host: on a shared machine, other ports are not ours.
  return await ollamaServePids(OLLAMA_DEFAULT_HOST);
}

/** Asserts the key cells of the executed 03_ollama notebook. */
export async function check03Ollama(nb: Notebook): Promise<void> {
  const mode = taggedText(nb, "mode");
  assert.match(mode, /Modo: offline — KIT_OFFLINE=1/);
  assert.match(mode, /sustituto offline del kit/);
  assert.match(mode, /modelo: kit-es/);

  const install = taggedText(nb, "install");
  assert.match(
    install,
    /ollama ya está instalado \(.*scripts\/offline\/ollama\), versión .*-kit-offline/,
  );
  assert.match(install, /no el Ollama real/);

  const start = taggedText(nb, "start");
  const pid = Number(/Ollama responde en http:\/\/127\.0\.0\.1:11434 \(pid (\d+)/.exec(start)?.[1]);
  assert.ok(pid > 0, start);
  assert.match(start, /servidor local del kit, sin conexión; no es Ollama/);

  const pull = taggedText(nb, "pull");
  assert.match(
    pull,
    /sustituto local del kit \(versión [^,]*-kit-offline, cabecera X-Kit-Offline: 1\)\. NO es Ollama/,
  );
  // The stand-in serves kit-es as a GGUF (Q4_0) for llama.cpp: its layers are that file + stamp.
  const files = modelFiles(join(GGUF_DIR, "kit-es-q4_0"));
  const gguf = defaultGgufPath("kit-es", "q4_0");
  for (const f of files) {
    assert.ok(
      pull.includes(
        `pulling ${f.sha.slice(0, 12)} ████████████████████ 100 % (${f.size}/${f.size})`,
      ),
      `a finished progress bar for the layer ${f.sha.slice(0, 12)}`,
    );
  }
  assert.match(
    pull,
    /pulling manifest[\s\S]*verifying sha256 digest[\s\S]*writing manifest[\s\S]*success/,
  );

  const totalMB = Math.round(files.reduce((s, f) => s + f.size, 0) / 1e5) / 10;
  assert.match(taggedText(nb, "list"), new RegExp(`\\| kit-es:latest \\| ${totalMB} \\|`));

  const rest = taggedText(nb, "rest");
  assert.match(rest, /HTTP 200 · application\/json; charset=utf-8 · X-Kit-Offline: 1/);
  const body = JSON.parse(rest.slice(rest.indexOf("{")));
  // /api/generate without raw: the prompt as a user message in kit-es's chat template.
  const restOracle = await greedyGguf(gguf, await kitEsChatIds(REST_PROMPT), 20);
  assert.equal(body.response, restOracle.text);
  assert.equal(body.eval_count, restOracle.tokens);
  assert.equal(body.done, true);
  for (const k of ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"]) {
    assert.ok(Number.isInteger(body[k]) && body[k] >= 0, k);
  }
  assert.ok(body.load_duration > 0, "the first request loaded the model");

  const ndjson = taggedText(nb, "ndjson");
  const lines = ndjson.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.equal(lines.length, 9);
  assert.ok(lines.slice(0, 8).every((l) => l.done === false && typeof l.response === "string"));
  assert.equal(lines[8].done, true);
  assert.equal(lines[8].eval_count, 8);
  assert.match(ndjson, /8 trozos unidos/);
  assert.match(ndjson, /¿Es el principio de la respuesta sin streaming\? sí/);

  const client = taggedText(nb, "client");
  const [, ns, ms] =
    /eval_count = \d+ tokens · eval_duration = (\d+) ns = ([\d.]+) ms/.exec(client) ?? [];
  assert.ok(ns, client);
  assert.equal(ms, (Number(ns) / 1e6).toFixed(1));

  const notFound = taggedText(nb, "not-found");
  assert.match(notFound, /KitError: El modelo "modelo-que-no-existe:1b" no está en el servidor/);
  assert.match(notFound, /backend\.pull\("modelo-que-no-existe:1b"\)/);
  assert.match(notFound, /model 'modelo-que-no-existe:1b' not found/);

  const stream = taggedText(nb, "stream");
  // Chat messages: /api/chat, the question in kit-es's chat template.
  const streamOracle = await greedyGguf(gguf, await kitEsChatIds(STREAM_QUESTION), 40);
  assert.ok(stream.includes(`Respuesta: ${streamOracle.text}`), stream);
  assert.match(
    stream,
    new RegExp(
      `\\| Ollama \\| offline \\| kit-es \\| \\d+ \\| ${streamOracle.tokens} \\|.*\\| ${streamOracle.stopReason} \\|`,
    ),
  );

  const speed = taggedText(nb, "speed");
  // A plain string goes to /api/generate with raw: true: llama.cpp's greedy continuation of the
  // same text says how many tokens there are (48, or fewer if the model ends its text first).
  const speedOracle = await greedyGguf(gguf, SPEED_PROMPT, 48);
  assert.match(
    speed,
    new RegExp(`\\| tokens generados \\| ${speedOracle.tokens} \\| ${speedOracle.tokens} \\|`),
  );
  const tps = /\| tokens\/s \| ([\d.]+) \| ([\d.]+) \|/.exec(speed);
  assert.ok(tps && Number(tps[1]) > 0 && Number(tps[2]) > 0, speed);
  const svg = taggedText(nb, "speed-plot");
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect /g)?.length, 6, "two bars per generation");
  const notes = taggedText(nb, "speed-notes");
  const overhead = Number(/: (-?[\d.]+) ms son HTTP y JSON/.exec(notes)?.[1]);
  assert.ok(overhead >= 0, notes);
  assert.match(
    notes,
    new RegExp(`${(body.load_duration / 1e6).toFixed(1)} ms en la primera petición`),
  );

  const stop = taggedText(nb, "stop");
  assert.match(stop, new RegExp(`Parado ollama serve \\(pid ${pid}`));
  assert.match(stop, /No queda ningún proceso «ollama serve»/);
  assert.match(
    stop,
    /Y ahora, al llamarlo: No hay ningún servidor de Ollama .*scripts\/ollama_start\.sh/,
  );
  assert.deepEqual(await servePids(), [], "no ollama serve process left");
  await assert.rejects(fetch("http://127.0.0.1:11434/api/version"), "nothing answers on 11434");

  assert.match(taggedText(nb, "engine"), /Motor del sustituto offline: llama\.cpp$/m);
  const modelfile = taggedText(nb, "modelfile");
  const [, preset] = /^FROM \.\/(tiny|kit-es)-q4_0\.gguf$/m.exec(modelfile) ?? [];
  assert.ok(preset, modelfile);
  assert.match(modelfile, /^TEMPLATE """\[INST\] \{\{ if \.System \}\}<<SYS>>$/m);
  assert.match(modelfile, /^PARAMETER stop "\[INST\]"$/m);
  assert.match(modelfile, /^SYSTEM """.+"""$/m);
  assert.match(
    taggedText(nb, "modelfile-commands"),
    new RegExp(`ollama create ${preset} -f Modelfile\nollama run ${preset} `),
  );
}
