/**
 * Issue 19, item 1: the repository the Colab copies clone is one setting (scripts/colab/repo.json,
 * `deno task colab --repo URL`, default the origin remote on GitHub). With a URL the copies carry
 * the badge and a pre-filled form field; without one, no badge, a Spanish instruction, and a
 * first cell that checks what was typed (a GitHub URL, reachable, the kit) before cloning. The
 * cell's Python runs here against a local bare repository standing in for GitHub (git's
 * `url.<local>.insteadOf`).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../lib/core/mod.ts";
import { CHECK_URL_PY, githubHttps, repoSetting, settingForWrite } from "../scripts/colab_repo.ts";
import {
  COLAB_BADGE_IMAGE,
  type NotebookJson,
  toColabNotebook,
} from "../scripts/colab_notebooks.ts";

const nb: NotebookJson = { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 };
const place = { source: "notebooks/a.ipynb", target: "notebooks/colab/a.ipynb", cwd: "notebooks" };
const text = (c: NotebookJson["cells"][number]) =>
  Array.isArray(c.source) ? c.source.join("") : c.source;

Deno.test("colab repo: GitHub URLs (https, ssh) normalised; anything else refused", () => {
  assert.equal(githubHttps("https://github.com/curso/kit.git"), "https://github.com/curso/kit");
  assert.equal(githubHttps("git@github.com:curso/kit.git"), "https://github.com/curso/kit");
  assert.equal(githubHttps("ssh://git@github.com/curso/kit"), "https://github.com/curso/kit");
  assert.equal(githubHttps("https://gitlab.com/curso/kit"), null);
  assert.equal(githubHttps("/home/yo/kit"), null);
});

Deno.test("colab repo: --repo is saved (one home); the origin remote is the default; the file wins", () => {
  const dir = mkdtempSync(join(tmpdir(), "colab-repo-"));
  const path = join(dir, "repo.json");
  const none = { repoUrl: null, branch: "main" };
  const given = settingForWrite(["--repo", "git@github.com:curso/kit.git"], none, {
    path,
    origin: () => "https://github.com/otro/fork",
  });
  assert.deepEqual(given, { repoUrl: "https://github.com/curso/kit", branch: "main" });
  assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), {
    url: "https://github.com/curso/kit",
    branch: "main",
  });
  const fromOrigin = settingForWrite([], none, { path, origin: () => "https://github.com/o/r" });
  assert.equal(fromOrigin.repoUrl, "https://github.com/o/r");
  assert.deepEqual(
    settingForWrite([], none, { path: join(dir, "x.json"), origin: () => null }),
    none,
  );
  assert.throws(
    () => settingForWrite(["--repo", "https://gitlab.com/a/b"], none, { path }),
    /no es la URL de un repositorio de GitHub/,
  );
  const file = { repoUrl: "https://github.com/a/b", branch: "dev" };
  assert.deepEqual(repoSetting({ file, env: { url: "https://github.com/c/d" } }), file);
  assert.deepEqual(
    repoSetting({ env: { url: "https://github.com/c/d" } }).repoUrl,
    "https://github.com/c/d",
  );
  assert.equal(repoSetting({ env: {} }).repoUrl, null);
});

Deno.test("colab copies: with a URL, badge and pre-filled field; without, an instruction and an empty field", () => {
  const withUrl = toColabNotebook(nb, place, {
    repoUrl: "https://github.com/curso/kit",
    branch: "main",
  });
  assert.ok(text(withUrl.cells[0]).includes(COLAB_BADGE_IMAGE));
  assert.match(
    text(withUrl.cells[1]),
    /^url_del_repositorio_del_curso = "https:\/\/github\.com\/curso\/kit"/m,
  );
  assert.match(text(withUrl.cells[1]), /^DEFAULT_KIT_DIR = "\/content\/kit"$/m);
  const without = toColabNotebook(nb, place, { repoUrl: null, branch: "main" });
  assert.ok(!text(without.cells[0]).includes(COLAB_BADGE_IMAGE));
  assert.match(text(without.cells[0]), /«URL del repositorio del curso»/);
  assert.match(text(without.cells[1]), /^url_del_repositorio_del_curso = "" {2}# @param/m);
  assert.match(
    text(without.cells[1]),
    /La preparación falló \(código \{_exit_code\}\): el mensaje/,
  );
});

/** Runs the cell's URL check in python3 with `url` typed; GitHub stands in as local repos. */
async function check(url: string, remotes: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "colab-check-"));
  const lines = CHECK_URL_PY.map((l) =>
    l.trim().startsWith("!git clone")
      ? l.replace(
        /!git clone .*/,
        'subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", KIT_BRANCH, KIT_REPO_URL, KIT_DIR])',
      )
      : l
  );
  const script = [
    "import os, re, subprocess, sys",
    `url_del_repositorio_del_curso = ${JSON.stringify(url)}`,
    'KIT_BRANCH = "main"',
    `DEFAULT_KIT_DIR = ${JSON.stringify(join(dir, "kit"))}`,
    ...lines,
    'print("OK", KIT_DIR)',
  ].join("\n");
  writeFileSync(join(dir, "cell.py"), script);
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH")!,
    HOME: dir,
    GIT_CONFIG_NOSYSTEM: "1",
  };
  Object.entries(remotes).forEach(([github, local], i) => {
    env.GIT_CONFIG_COUNT = String(i + 1);
    env[`GIT_CONFIG_KEY_${i}`] = `url.${local}.insteadOf`;
    env[`GIT_CONFIG_VALUE_${i}`] = github;
  });
  env.KIT_DIR = join(dir, "kit-" + Object.keys(remotes).length);
  const out = await new Deno.Command("python3", {
    args: [join(dir, "cell.py")],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

/** A local git repository with `files`, committed on branch main. */
async function repo(files: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "colab-remote-"));
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-C", dir, ...args],
      stdout: "null",
      stderr: "null",
      env: {
        HOME: dir,
        GIT_AUTHOR_NAME: "k",
        GIT_AUTHOR_EMAIL: "k@k",
        GIT_COMMITTER_NAME: "k",
        GIT_COMMITTER_EMAIL: "k@k",
      },
    }).output();
  await git("init", "-q", "-b", "main");
  for (const [name, body] of Object.entries(files)) {
    await Deno.mkdir(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  await git("add", "-A");
  await git("commit", "-q", "-m", "x");
  return dir;
}

Deno.test("colab first cell: empty, not GitHub, unreachable, not the kit → a precise Spanish message; the kit → cloned", async () => {
  assert.match(
    await check("", {}),
    /Falta la URL del kit: escríbela en el campo «URL del repositorio del curso»/,
  );
  assert.match(
    await check("https://gitlab.com/a/b", {}),
    /no es la URL de un repositorio de GitHub/,
  );
  const missing = join(tmpdir(), "no-existe-" + crypto.randomUUID());
  assert.match(
    await check("https://github.com/curso/kit", { "https://github.com/curso/kit": missing }),
    /No se puede acceder a https:\/\/github\.com\/curso\/kit: ¿está bien escrita y el repositorio es público\?/,
  );
  const other = await repo({ "README.md": "otra cosa" });
  assert.match(
    await check("https://github.com/curso/otro", { "https://github.com/curso/otro": other }),
    /no parece el kit del curso \(no tiene scripts\/colab_bootstrap\.sh\)/,
  );
  const kit = await repo({ "scripts/colab_bootstrap.sh": "#!/bin/sh\n" });
  assert.match(
    await check("https://github.com/curso/kit.git", { "https://github.com/curso/kit.git": kit }),
    /^OK /m,
  );
});

Deno.test("colab: the exercises' student notebook has a Colab copy whose kernel runs in its own folder", () => {
  const copy = JSON.parse(
    readFileSync(join(ROOT, "notebooks", "colab", "ejercicios_optimizacion.ipynb"), "utf8"),
  ) as NotebookJson;
  const setup = text(copy.cells[1]);
  assert.match(setup, /cwd=os\.path\.join\(KIT_DIR, "notebooks\/ejercicios\/alumno"\)/);
  const imports = copy.cells.map(text).join("\n").match(/from "(\.\.\/[^"]+)"/g) ?? [];
  assert.ok(imports.length > 0);
  for (const spec of imports) {
    const rel = spec.slice(6, -1);
    assert.ok(
      existsSync(join(ROOT, "notebooks", "ejercicios", "alumno", rel)),
      `${rel} resolves from the kernel's folder`,
    );
  }
  // The solutions never go to Colab.
  assert.ok(
    !existsSync(join(ROOT, "notebooks", "colab", "ejercicios_optimizacion_soluciones.ipynb")),
  );
});
