/** What notebooks/00_entorno.ipynb must show, checked against independent readings. */
import assert from "node:assert/strict";
import os from "node:os";
import type { Notebook } from "../../scripts/nb.ts";
import { taggedMime, taggedText } from "../_notebooks.ts";
import { FAKE_GROQ_KEY } from "./env.ts";

async function hasNvidiaSmi(): Promise<boolean> {
  try {
    return (await new Deno.Command("nvidia-smi", { stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** Asserts the key cells of the executed 00_entorno notebook. */
export async function check00Entorno(nb: Notebook): Promise<void> {
  const machine = taggedText(nb, "machine");
  assert.match(machine, new RegExp(`\\| Deno \\| ${Deno.version.deno.replaceAll(".", "\\.")} \\|`));
  assert.match(machine, new RegExp(`\\| Núcleos de CPU \\| ${os.cpus().length} \\|`));
  const ramGB = (os.totalmem() / 1e9).toFixed(1);
  assert.match(machine, new RegExp(`\\| RAM total \\| ${ramGB.replace(".", "\\.")} GB \\|`));
  if (await hasNvidiaSmi()) assert.doesNotMatch(machine, /sin GPU/);
  else assert.match(machine, /\| GPU \| sin GPU \|/);
  assert.match(machine, /\| Disco libre \| \d+\.\d GB \|/);

  const secrets = taggedText(nb, "secrets");
  assert.match(secrets, /No hay archivo \.env: se usan los valores por defecto/);
  assert.match(
    secrets,
    new RegExp(`\\| GROQ_API_KEY \\| definida: gsk_•••• \\(${FAKE_GROQ_KEY.length} caracteres\\)`),
  );
  assert.match(secrets, /\| HF_TOKEN \| no definida \|/);

  const modes = taggedText(nb, "modes");
  for (const name of ["Pipeline", "Optimizado", "Ollama", "Groq"]) {
    assert.match(modes, new RegExp(`\\| ${name} \\| offline \\| KIT_OFFLINE=1`));
  }

  // The session's arithmetic, recomputed: 7e9 parameters × bytes per parameter.
  const table = taggedText(nb, "memory-table");
  for (const [dtype, bytes] of [["fp32", 4], ["fp16", 2], ["q8", 1], ["q4", 0.5]] as const) {
    assert.match(table, new RegExp(`\\| ${dtype} \\| ${(7e9 * bytes) / 1e9} \\|`));
  }
  const svg = taggedMime(nb, "memory-plot", "image/svg+xml");
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect /g)?.length, 4, "one bar per dtype");
  const verdict = taggedText(nb, "verdict");
  const freeGB = Number(/hay (\d+\.\d) GB de RAM libre/.exec(verdict)?.[1]);
  assert.ok(freeGB > 0 && freeGB <= os.totalmem() / 1e9 + 0.05, verdict);
  // Each 7B dtype is listed as fitting exactly when its weights are below the free RAM shown
  // (within the display's rounding of 0.05 GB).
  const listed = /caben en la RAM: \*\*([^*]+)\*\*/.exec(verdict)?.[1].split(", ") ?? [];
  for (const [dtype, gb] of [["fp32", 28], ["fp16", 14], ["q8", 7], ["q4", 3.5]] as const) {
    if (listed.includes(dtype)) assert.ok(gb <= freeGB + 0.05, `${dtype} listed: ${verdict}`);
    else assert.ok(gb > freeGB - 0.05, `${dtype} not listed: ${verdict}`);
  }
  const ledger = taggedMime(nb, "ledger", "text/markdown");
  assert.match(
    ledger,
    new RegExp(
      `CPU: 8-16 núcleos, ~3 GHz \\| esta máquina: ${navigator.hardwareConcurrency} núcleos`,
    ),
  );
  assert.match(ledger, /Tesla T4 con 16GB VRAM \| 16 GB GDDR6 \| publicado \(NVIDIA/);
}
