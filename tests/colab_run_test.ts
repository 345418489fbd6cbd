/**
 * The Colab versions really run: the bootstrap finds Deno and the kit already here and
 * installs nothing (KIT_UPDATE=0: no git either), and each course notebook's Colab copy,
 * executed headless in a Python kernel (Debian's python3-ipykernel) with every `%%deno` cell
 * going through scripts/colab/deno_bridge.py into a Deno kernel, passes the assertions of
 * its Deno-kernel run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../lib/core/paths.ts";
import { findSecrets } from "../lib/core/secrets.ts";
import { COLAB_CELL_IDS, COLAB_DIR } from "../scripts/colab_notebooks.ts";
import { NB_EXIT, type Notebook } from "../scripts/nb.ts";
import { execute, tempDir } from "./_notebooks.ts";
import { check00Entorno } from "./notebooks/00_entorno.ts";
import { check01Pipeline } from "./notebooks/01_pipeline.ts";
import { check02Optimizado } from "./notebooks/02_optimizado.ts";
import { check03Ollama } from "./notebooks/03_ollama.ts";
import { check04Groq } from "./notebooks/04_groq.ts";
import { check05Comparacion } from "./notebooks/05_comparacion.ts";
import { FAKE_GROQ_KEY } from "./notebooks/env.ts";
import { BRIDGE_DIR, byId, COLAB_TEST_ENV, everythingPresent, textOf } from "./_colab.ts";

const BOOTSTRAP = join(ROOT, "scripts", "colab_bootstrap.sh");

// ---------------------------------------------------------------------------------------
// The bootstrap script

async function bootstrap(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command("bash", {
    args: [BOOTSTRAP, ...args],
    env: { ...env, PYTHON: "/usr/bin/python3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("colab bootstrap: Deno, kit, kernelspec, npm, bridge present → installs nothing", async () => {
  await everythingPresent();
  const { code, stdout, stderr } = await bootstrap([], COLAB_TEST_ENV);
  assert.equal(code, 0, stderr);
  assert.match(stdout, new RegExp(`Ya estaba: Deno ${Deno.version.deno.replaceAll(".", "\\.")} `));
  assert.ok(stdout.includes(`Ya estaba: el kit en ${ROOT}.`), stdout);
  assert.match(stdout, /Ya estaba: el kernel de Deno/);
  assert.match(stdout, /Ya estaba: los paquetes npm del kit/);
  assert.ok(stdout.includes(`Ya estaba: el puente %%deno (${BRIDGE_DIR})`), stdout);
  assert.match(stdout, /No hizo falta instalar nada\./);
  assert.doesNotMatch(stdout, /Hecho:|Instalando|Clonando/);
});

Deno.test("colab bootstrap: usage and a missing kit are clear errors", async () => {
  const help = await bootstrap(["--help"], {});
  assert.equal(help.code, 0);
  assert.match(help.stdout, /KIT_REPO_URL/);
  const bad = await bootstrap(["--nope"], {});
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /opción desconocida «--nope»/);
  const missing = await bootstrap([], {
    KIT_DIR: join(tempDir("colab-"), "kit"),
    KIT_REPO_URL: "",
  });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no está el kit en .* y falta KIT_REPO_URL para clonarlo/);
});

// ---------------------------------------------------------------------------------------
// Executed headless: Python kernel + bridge + Deno kernel

Deno.test("colab: 00_entorno runs in a Python kernel through %%deno, outputs asserted", async () => {
  await everythingPresent();
  const path = join(COLAB_DIR, "00_entorno.ipynb");
  const { code, stderr, nb } = await execute(path, { env: COLAB_TEST_ENV });
  assert.equal(code, NB_EXIT.ok, stderr);
  const setupText = textOf(byId(nb, COLAB_CELL_IDS.setup).outputs);
  assert.match(setupText, /No hizo falta instalar nada\./);
  assert.doesNotMatch(setupText, /Hecho:/);
  assert.match(textOf(byId(nb, COLAB_CELL_IDS.secrets).outputs), /No estás en Google Colab/);
  // The very assertions the Deno-kernel run of 00_entorno must pass, the SVG plot included.
  await check00Entorno(nb);
  const text = JSON.stringify(nb);
  assert.ok(!text.includes(FAKE_GROQ_KEY.slice(4)), "the key leaked into an output");
  assert.deepEqual(findSecrets(text), []);
});

/** The other course notebooks' own assertions, checked on their Colab copies too. */
const OTHER_CHECKS: Record<string, (nb: Notebook) => void | Promise<void>> = {
  "01_pipeline.ipynb": check01Pipeline,
  "02_optimizado.ipynb": check02Optimizado,
  "03_ollama.ipynb": check03Ollama,
  "04_groq.ipynb": check04Groq,
  "05_comparacion.ipynb": check05Comparacion,
};

Deno.test({
  name: "colab: every other Colab copy runs through %%deno with its notebook's own assertions",
  async fn() {
    await everythingPresent();
    const run = async (name: string) => {
      const { code, stderr, nb } = await execute(join(COLAB_DIR, name), { env: COLAB_TEST_ENV });
      assert.equal(code, NB_EXIT.ok, `${name}: ${stderr}`);
      await OTHER_CHECKS[name](nb);
    };
    // 02 (the longest) starts no server, so it runs beside the others; those run one after
    // another, since 03 and 05 both start the Ollama stand-in on OLLAMA_HOST's port.
    const alone = "02_optimizado.ipynb";
    const rest = Object.keys(OTHER_CHECKS).filter((n) => n !== alone);
    const settled = await Promise.allSettled([
      run(alone),
      (async () => {
        for (const name of rest) await run(name);
      })(),
    ]);
    for (const s of settled) if (s.status === "rejected") throw s.reason;
  },
});
