/**
 * The `%%deno` bridge (scripts/colab/deno_bridge.py) in a Python kernel, on fixtures the
 * generator made Colab: streams, MIME bundles, display updates, state across cells, Colab
 * secrets, live lib/show outputs, a failing cell and a dead Deno kernel.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cellSource } from "../scripts/check.ts";
import {
  COLAB_CELL_IDS,
  colabVersionOf,
  DENO_MAGIC,
  notebookJson,
} from "../scripts/colab_notebooks.ts";
import { NB_EXIT } from "../scripts/nb.ts";
import { execute, joined, makeNotebook, outputText, tempDir } from "./_notebooks.ts";
import {
  byId,
  codeCells,
  COLAB_TEST_ENV,
  DEFAULTS,
  everythingPresent,
  readJson,
  textOf,
} from "./_colab.ts";

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
