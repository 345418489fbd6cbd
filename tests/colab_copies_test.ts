/**
 * The Colab versions (notebooks/colab/), as committed: an up-to-date copy of every course
 * notebook, well formed (Python kernel, badge, bootstrap, secrets, `%%deno` cells), clean; and
 * the generator's options, URLs and cells. Running them: colab_run_test.ts, colab_bridge_test.ts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
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
  DENO_MAGIC,
  existingColabFiles,
  KIT_BRANCH,
  type NotebookJson,
  notebookJson,
  sourceNotebooks,
  toColabNotebook,
} from "../scripts/colab_notebooks.ts";
import { makeNotebook } from "./_notebooks.ts";
import { codeCells, DEFAULTS, readJson } from "./_colab.ts";

Deno.test("colab: notebooks/colab/ holds an up-to-date copy of every course notebook", () => {
  const sources = sourceNotebooks();
  assert.ok(sources.length >= 6, `course notebooks: ${sources}`);
  assert.deepEqual(
    existingColabFiles().map((p) => basename(p)).filter((n) => !n.startsWith("ejercicios_")),
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
    assert.equal(intro.includes(COLAB_BADGE_IMAGE), false, "no badge without a public URL");
    assert.match(intro, /campo «URL del repositorio del curso» de la primera/);
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
    assert.match(setupCode, /^url_del_repositorio_del_curso = "" {2}# @param \{type:"string"\}$/m);
    assert.ok(setupCode.includes(`KIT_BRANCH = "${KIT_BRANCH}"`));
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
  assert.deepEqual(colabOptions({}, null), { repoUrl: null, branch: KIT_BRANCH });
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
