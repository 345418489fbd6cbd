/**
 * The Colab versions (notebooks/colab/): generated copies up to date and well formed, and
 * they really run: executed headless in a Python kernel (Debian's python3-ipykernel), each
 * `%%deno` cell going through scripts/colab/deno_bridge.py into a Deno kernel. The bootstrap
 * finds Deno and the kit already here and installs nothing (KIT_UPDATE=0: no git either).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { ROOT } from "../lib/core/paths.ts";
import { findSecrets } from "../lib/core/secrets.ts";
import { cellSource, listNotebooks } from "../scripts/check.ts";
import {
  COLAB_BADGE_IMAGE,
  COLAB_CELL_IDS,
  COLAB_DIR,
  colabDrift,
  colabOptions,
  colabUrl,
  colabVersionOf,
  DENO_MAGIC,
  existingColabFiles,
  KIT_BRANCH,
  KIT_REPO_URL,
  type NotebookJson,
  notebookJson,
  sourceNotebooks,
  toColabNotebook,
} from "../scripts/colab_notebooks.ts";
import { NB_EXIT, type Notebook, type Output } from "../scripts/nb.ts";
import { ensureKernelSpec, ensureNpmPackages } from "../scripts/setup.ts";
import { execute, joined, makeNotebook, outputText, tempDir } from "./_notebooks.ts";
import { check00Entorno } from "./notebooks/00_entorno.ts";
import { check01Pipeline } from "./notebooks/01_pipeline.ts";
import { check02Optimizado } from "./notebooks/02_optimizado.ts";
import { check03Ollama } from "./notebooks/03_ollama.ts";
import { check04Groq } from "./notebooks/04_groq.ts";
import { check05Comparacion } from "./notebooks/05_comparacion.ts";
import { FAKE_GROQ_KEY, NOTEBOOK_TEST_ENV } from "./notebooks/env.ts";

const BOOTSTRAP = join(ROOT, "scripts", "colab_bootstrap.sh");
const BRIDGE_DIR = join(ROOT, "scripts", "colab");
/** The options the committed copies are made with (the constants, whatever the environment). */
const DEFAULTS = colabOptions({});

/**
 * Environment of the Python kernel in these tests: offline, fake key, the kit = this
 * checkout (no clone, no update), the bridge importable (nothing to install).
 */
const COLAB_TEST_ENV: Record<string, string> = {
  ...NOTEBOOK_TEST_ENV,
  KIT_DIR: ROOT,
  KIT_UPDATE: "0",
  PYTHONPATH: [BRIDGE_DIR, Deno.env.get("PYTHONPATH")].filter(Boolean).join(":"),
  PYDEVD_DISABLE_FILE_VALIDATION: "1", // ipykernel's debugger warnings on stderr
};

/** Makes sure set-up has nothing left to do, so the bootstrap must find everything present. */
async function everythingPresent(): Promise<void> {
  ensureKernelSpec();
  await ensureNpmPackages();
}

const readJson = (path: string): NotebookJson => JSON.parse(readFileSync(path, "utf8"));
const codeCells = <C extends { cell_type: string }>(nb: { cells: C[] }): C[] =>
  nb.cells.filter((c) => c.cell_type === "code");
const byId = (nb: Notebook, id: string) => nb.cells.find((c) => c.id === id)!;
const textOf = (outs: Output[] | undefined) => (outs ?? []).map(outputText).join("\n");

// ---------------------------------------------------------------------------------------
// The committed copies

Deno.test("colab: notebooks/colab/ holds an up-to-date copy of every course notebook", () => {
  const sources = sourceNotebooks();
  assert.ok(sources.length >= 6, `course notebooks: ${sources}`);
  assert.deepEqual(
    existingColabFiles().map((p) => basename(p)),
    sources.map((p) => basename(p)),
  );
  const drift = colabDrift(DEFAULTS);
  assert.deepEqual(
    drift,
    { stale: [], extra: [] },
    "run `deno task colab` to regenerate notebooks/colab/",
  );
});

Deno.test("colab: the Deno-notebook checks leave notebooks/colab/ out", () => {
  assert.ok(listNotebooks().length > 0);
  assert.ok(listNotebooks().every((p) => !p.startsWith(COLAB_DIR + "/")), "colab/ listed");
});

for (const source of sourceNotebooks()) {
  const target = join(COLAB_DIR, basename(source));
  const rel = relative(ROOT, target);

  Deno.test(`colab: ${rel} — Python kernel, badge, bootstrap, secrets, %%deno cells`, () => {
    const text = readFileSync(target, "utf8");
    const colab = JSON.parse(text) as NotebookJson;
    const original = readJson(source);
    const spec = colab.metadata.kernelspec as Record<string, string>;
    assert.equal(spec.name, "python3");
    assert.equal(spec.language, "python");

    // Badge first, pointing at this very file in the repository.
    const intro = cellSource(colab.cells[0]);
    assert.equal(colab.cells[0].cell_type, "markdown");
    assert.ok(intro.includes(`[![Abrir en Colab](${COLAB_BADGE_IMAGE})]`), intro);
    assert.ok(intro.includes(`(${colabUrl(DEFAULTS, rel)})`), intro);
    assert.ok(intro.includes(relative(ROOT, source)), "names its source notebook");

    // The first code cell runs the bootstrap and loads the bridge; the second loads secrets.
    const [setup, secrets, ...rest] = codeCells(colab);
    assert.equal(setup.id, COLAB_CELL_IDS.setup);
    const setupCode = cellSource(setup);
    assert.match(
      setupCode,
      /^!PYTHON="\{sys\.executable\}" bash "\{KIT_DIR\}\/scripts\/colab_bootstrap\.sh"/m,
    );
    assert.match(setupCode, /^%load_ext deno_bridge$/m);
    assert.ok(setupCode.includes(JSON.stringify(KIT_REPO_URL)), "clone URL = KIT_REPO_URL");
    assert.ok(setupCode.includes(`os.environ.setdefault("KIT_BRANCH", "${KIT_BRANCH}")`));
    assert.ok(setupCode.includes('cwd=os.path.join(KIT_DIR, "notebooks")'), setupCode);
    assert.equal(secrets.id, COLAB_CELL_IDS.secrets);
    assert.equal(
      cellSource(secrets),
      'deno_bridge.load_colab_secrets(["GROQ_API_KEY", "HF_TOKEN"])',
    );

    // Every original cell, in order: markdown unchanged, code behind %%deno, same ids/tags.
    const kept = colab.cells.slice(colab.cells.length - original.cells.length);
    assert.equal(rest.length, codeCells(original).length);
    original.cells.forEach((cell, i) => {
      const copy = kept[i];
      assert.equal(copy.id, cell.id);
      assert.equal(copy.cell_type, cell.cell_type);
      assert.deepEqual(copy.metadata, cell.metadata);
      if (cell.cell_type === "code") {
        assert.equal(cellSource(copy), `${DENO_MAGIC}\n${cellSource(cell)}`);
      } else {
        assert.deepEqual(copy, cell, `markdown cell ${cell.id} changed`);
      }
    });

    // Committed clean.
    for (const cell of codeCells(colab)) {
      assert.deepEqual(cell.outputs, []);
      assert.equal(cell.execution_count, null);
    }
    assert.deepEqual(findSecrets(text), []);
    assert.equal(new Set(colab.cells.map((c) => c.id)).size, colab.cells.length, "unique ids");
  });
}

Deno.test("colab: generator options, URLs and cells", () => {
  assert.deepEqual(colabOptions({}), { repoUrl: KIT_REPO_URL, branch: KIT_BRANCH });
  assert.deepEqual(
    colabOptions({ url: "https://github.com/curso/kit.git", branch: "dev" }),
    { repoUrl: "https://github.com/curso/kit", branch: "dev" },
  );
  assert.equal(
    colabUrl({ repoUrl: "https://github.com/curso/kit", branch: "dev" }, "notebooks/colab/a.ipynb"),
    "https://colab.research.google.com/github/curso/kit/blob/dev/notebooks/colab/a.ipynb",
  );
  assert.throws(() => colabUrl({ repoUrl: "https://gitlab.com/x", branch: "main" }, "a"));
  const nb = makeNotebook(["console.log(1)", "2"]) as unknown as NotebookJson;
  const colab = toColabNotebook(nb, { source: "a.ipynb", target: "c/a.ipynb", cwd: "." }, DEFAULTS);
  assert.deepEqual(
    codeCells(colab).slice(2).map((c) => cellSource(c)),
    ["%%deno\nconsole.log(1)", "%%deno\n2"],
  );
  assert.ok(notebookJson(colab).endsWith("}\n"));
});

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
    for (const [name, check] of Object.entries(OTHER_CHECKS)) {
      const { code, stderr, nb } = await execute(join(COLAB_DIR, name), { env: COLAB_TEST_ENV });
      assert.equal(code, NB_EXIT.ok, `${name}: ${stderr}`);
      await check(nb);
    }
  },
});

const SVG = `<svg xmlns="http://www.w3.org/2000/svg"><text>svg-1</text></svg>`;
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const COLAB_SECRET = "gsk_" + "fromColabSecretsXYZ0123456789".repeat(2);
const SHOW = new URL("../lib/show/mod.ts", import.meta.url).href;

/** A Deno fixture made Colab by the generator, with extra Python cells spliced in. */
function colabFixture(denoCells: string[], pythonCells: string[] = []): string {
  const dir = tempDir("colab-");
  const source = join(dir, "fixture.ipynb");
  writeFileSync(source, JSON.stringify(makeNotebook(denoCells)));
  const target = join(dir, "fixture_colab.ipynb");
  const colab = colabVersionOf(source, DEFAULTS, target);
  const secretsAt = colab.cells.findIndex((c) => c.id === COLAB_CELL_IDS.secrets);
  colab.cells.splice(
    secretsAt + 1,
    0,
    ...pythonCells.map((source, i) => ({
      cell_type: "code" as const,
      id: `py-${i}`,
      metadata: { tags: [`py-${i}`] },
      source,
      outputs: [],
      execution_count: null,
    })),
  );
  writeFileSync(target, notebookJson(colab));
  return target;
}

/** Python: Colab's google.colab.userdata, faked; GROQ_API_KEY set, HF_TOKEN missing. */
const FAKE_USERDATA = `
import deno_bridge
class SecretNotFoundError(Exception):
    pass
class FakeUserdata:
    @staticmethod
    def get(name):
        if name == "GROQ_API_KEY":
            return ${JSON.stringify(COLAB_SECRET)}
        raise SecretNotFoundError(name)
deno_bridge.load_colab_secrets(["GROQ_API_KEY", "HF_TOKEN"], userdata=FakeUserdata())`;

Deno.test("colab bridge: streams, MIME bundles, display updates, state, Colab secrets", async () => {
  await everythingPresent();
  const burst = Array.from(
    { length: 12 },
    (_, i) =>
      `console.log("line-${i}"); Deno.jupyter.display({ "text/html": "<i>h-${i}</i>" }, { raw: true });`,
  ).join("\n");
  const path = colabFixture([
    [
      `const state = { n: 41 };`,
      `console.log("stdout-1");`,
      `console.error("stderr-1");`,
      `Deno.jupyter.display({ "text/markdown": "**md-1**" }, { raw: true });`,
      `Deno.jupyter.display({ "text/html": "<b>html-1</b>" }, { raw: true });`,
      `Deno.jupyter.display({ "image/svg+xml": ${JSON.stringify(SVG)} }, { raw: true });`,
      `Deno.jupyter.display({ "image/png": "${PNG}" }, { raw: true });`,
      `Deno.jupyter.display({ "text/plain": "upd-1-old" }, { raw: true, display_id: "upd-1" });`,
      `"result-1"`,
    ].join("\n"),
    `Deno.jupyter.display({ "text/plain": "upd-1-new" }, { raw: true, display_id: "upd-1", update: true });\nstate.n + 1`,
    [
      `import { progressBar, streamText } from "${SHOW}";`,
      `const bar = progressBar("descarga", 30);`,
      `for (let i = 1; i <= 30; i++) { bar.update(i); await new Promise((r) => setTimeout(r, 2)); }`,
      `bar.finish("hecho");`,
      `const out = streamText("respuesta: ");`,
      `for (const t of ["uno", " dos", " tres"]) { out.append(t); await new Promise((r) => setTimeout(r, 20)); }`,
      `out.finish();`,
    ].join("\n"),
    burst,
    `console.log(Deno.env.get("GROQ_API_KEY") === ${
      JSON.stringify(COLAB_SECRET)
    } ? "clave de Colab: sí" : "clave de Colab: no");\nconsole.log("pid " + Deno.pid);`,
  ], [FAKE_USERDATA]);
  const { code, stderr, nb } = await execute(path, { env: COLAB_TEST_ENV });
  assert.equal(code, NB_EXIT.ok, stderr);
  const cells = codeCells(nb);
  const deno = cells.filter((c) => cellSource(c).startsWith(DENO_MAGIC));
  assert.equal(deno.length, 5);

  // Colab secrets: status printed, value never.
  const secretsOut = textOf(byId(nb, "py-0").outputs);
  assert.match(secretsOut, /GROQ_API_KEY: cargado de los Secretos de Colab \(62 caracteres\)/);
  assert.match(secretsOut, /HF_TOKEN: no está en los Secretos de Colab/);

  // Cell 1: every kind of output, under its MIME type; the display updated by cell 2.
  const first = deno[0].outputs ?? [];
  const kinds = first.map((o) => o.output_type === "stream" ? `stream:${o.name}` : o.output_type);
  assert.deepEqual(kinds, [
    "stream:stdout",
    "stream:stderr",
    "display_data",
    "display_data",
    "display_data",
    "display_data",
    "display_data",
    "execute_result",
  ]);
  const data = first.map((o) => o.data ?? {});
  assert.equal(joined(first[0].text), "stdout-1\n");
  assert.equal(joined(first[1].text), "stderr-1\n");
  assert.equal(joined(data[2]["text/markdown"]), "**md-1**");
  assert.equal(joined(data[3]["text/html"]), "<b>html-1</b>");
  assert.equal(joined(data[4]["image/svg+xml"]), SVG);
  assert.equal(joined(data[5]["image/png"]), PNG);
  assert.equal(joined(data[6]["text/plain"]), "upd-1-new", "update_display_data applied");
  assert.equal(joined(data[7]["text/plain"]), '"result-1"');

  // Cell 2: state persisted (41 + 1); the update itself adds no output here.
  assert.deepEqual((deno[1].outputs ?? []).map((o) => [o.output_type, outputText(o)]), [
    ["execute_result", "42"],
  ]);

  // Cell 3: lib/show's progress bar and streaming text, one output each, updated in place.
  const live = deno[2].outputs ?? [];
  assert.equal(live.length, 2, JSON.stringify(live));
  assert.match(outputText(live[0]), /descarga .*100 % \(30\/30\) hecho/);
  assert.match(outputText(live[0]), /<progress value="30" max="30"/);
  assert.equal(outputText(live[1]), "respuesta: uno dos tres");

  // Cell 4: 24 outputs, none lost to the idle-before-output race.
  const burstOut = deno[3].outputs ?? [];
  assert.equal(textOf(burstOut).match(/line-\d+/g)?.length, 12);
  assert.equal(burstOut.filter((o) => o.data?.["text/html"]).length, 12);

  // Cell 5: the Colab secret reached the Deno kernel's environment, over the process's own.
  const last = textOf(deno[4].outputs);
  assert.match(last, /clave de Colab: sí/);
  const allOutputs = JSON.stringify(nb.cells.map((c) => c.outputs ?? []));
  assert.ok(!allOutputs.includes(COLAB_SECRET.slice(4)), "the secret leaked into an output");

  // The Python kernel was killed at the end: the bridge's watchdog stops the Deno kernel.
  const pid = Number(/pid (\d+)/.exec(last)?.[1]);
  assert.ok(pid > 0);
  const deadline = Date.now() + 10_000;
  while (existsSync(`/proc/${pid}`) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(!existsSync(`/proc/${pid}`), `Deno kernel ${pid} outlived the Python kernel`);
});

Deno.test("colab bridge: a failing %%deno cell fails the run with the Deno error", async () => {
  await everythingPresent();
  const path = colabFixture([
    `console.log("antes")`,
    `throw new RangeError("fuera de rango")`,
    `console.log("nunca")`,
  ]);
  const { code, stderr, nb } = await execute(path, { env: COLAB_TEST_ENV });
  assert.equal(code, NB_EXIT.error, stderr);
  assert.match(stderr, /fixture_colab\.ipynb, celda 4: RangeError: fuera de rango/);
  const deno = codeCells(nb).slice(2);
  assert.equal(textOf(deno[0].outputs), "antes\n");
  const error = deno[1].outputs?.find((o) => o.output_type === "error");
  assert.ok(error, JSON.stringify(deno[1].outputs));
  assert.equal(error.ename, "RangeError");
  assert.equal(error.evalue, "fuera de rango");
  const traceback = (error as unknown as { traceback: string[] }).traceback.join("\n");
  assert.match(traceback, /RangeError: fuera de rango\n\s+at <anonymous>/);
  assert.doesNotMatch(traceback, /deno_bridge|File "/, "no Python traceback of the bridge");
  assert.equal(deno[2].outputs?.length ?? 0, 0, "cells after the error do not run");
});

Deno.test("colab bridge: a dead Deno kernel is reported with a restart hint", async () => {
  await everythingPresent();
  const path = colabFixture(
    [`globalThis.before = "estado"; console.log("vivo")`, `Deno.exit(7)`],
    [],
  );
  // Before the fatal %%deno cell: a Python cell that survives a death and restarts.
  const nb = readJson(path);
  const deathCells = [
    [
      "try:",
      '    get_ipython().run_cell_magic("deno", "", "Deno.exit(3)")',
      "except deno_bridge.DenoKernelDied as error:",
      '    print("murió:", error)',
    ].join("\n"),
    `${DENO_MAGIC}\nconsole.log(typeof globalThis.before)`,
  ];
  const at = nb.cells.length - 1;
  nb.cells.splice(
    at,
    0,
    ...deathCells.map((source, i) => ({
      cell_type: "code" as const,
      id: `death-${i}`,
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    })),
  );
  writeFileSync(path, notebookJson(nb));
  const { code, stderr, nb: ran } = await execute(path, { env: COLAB_TEST_ENV });
  assert.equal(code, NB_EXIT.error, stderr);
  const caught = textOf(byId(ran, "death-0").outputs);
  assert.match(caught, /murió: El kernel de Deno se cerró durante la celda/);
  assert.match(caught, /%deno_restart/);
  // The next %%deno cell started a fresh kernel: the earlier state is gone.
  const fresh = textOf(byId(ran, "death-1").outputs);
  assert.match(fresh, /Kernel de Deno nuevo/);
  assert.match(fresh, /^undefined$/m);
  // The uncaught death fails the run, named, with the hint.
  assert.match(stderr, /celda \d+: DenoKernelDied: El kernel de Deno se cerró/);
  const last = ran.cells.at(-1)!;
  const error = last.outputs?.find((o) => o.output_type === "error");
  assert.ok(error);
  assert.match(JSON.stringify(error), /Vuelve a ejecutar la celda/);
});
