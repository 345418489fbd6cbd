/**
 * Where the Colab copies clone the kit from: one setting with one home, scripts/colab/repo.json,
 * written by `deno task colab --repo URL [--branch B]`. Without it: KIT_REPO_URL (environment),
 * else `git remote get-url origin` when that is a GitHub URL (https or ssh), else none — then
 * the first Colab cell asks for the URL in a form field and checks it before cloning.
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib/core/mod.ts";

/** The one home of the repository setting. */
export const REPO_FILE: string = join(ROOT, "scripts", "colab", "repo.json");

/** The default branch. */
export const DEFAULT_BRANCH = "main";

/** The repository the Colab copies clone (null: not known yet) and its branch. */
export interface RepoSetting {
  repoUrl: string | null;
  branch: string;
}

/**
 * A GitHub repository URL as https://github.com/<owner>/<repo>, from an https or ssh form;
 * null for anything else (another host, a local path).
 *
 * @example
 * ```ts
 * githubHttps("git@github.com:curso/kit.git"); // "https://github.com/curso/kit"
 * ```
 */
export function githubHttps(url: string | undefined | null): string | null {
  const u = (url ?? "").trim();
  const m =
    /^(?:https:\/\/github\.com\/|git@github\.com:|ssh:\/\/git@github\.com\/)([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/
      .exec(u);
  return m ? `https://github.com/${m[1]}/${m[2]}` : null;
}

/** The `origin` remote of the checkout at `root`, as a GitHub https URL, or null. */
export function originUrl(root = ROOT): string | null {
  try {
    const out = new Deno.Command("git", {
      args: ["-C", root, "remote", "get-url", "origin"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? githubHttps(new TextDecoder().decode(out.stdout)) : null;
  } catch {
    return null;
  }
}

/** The saved setting (scripts/colab/repo.json), or null. */
export function readRepoFile(path = REPO_FILE): RepoSetting | null {
  if (!existsSync(path)) return null;
  const raw = JSON.parse(readFileSync(path, "utf8"));
  return { repoUrl: githubHttps(raw.url), branch: raw.branch || DEFAULT_BRANCH };
}

/** Saves the setting (the one home) as `{"url", "branch"}`. */
export function writeRepoFile(setting: RepoSetting, path = REPO_FILE): void {
  writeFileSync(
    path,
    JSON.stringify({ url: setting.repoUrl, branch: setting.branch }, null, 2) + "\n",
  );
}

/**
 * The setting in effect: the saved file, else KIT_REPO_URL / KIT_BRANCH, else the origin
 * remote when it is on GitHub, else none.
 */
export function repoSetting(
  sources: {
    file?: RepoSetting | null;
    env?: { url?: string; branch?: string };
    origin?: string | null;
  },
): RepoSetting {
  if (sources.file) return sources.file;
  const branch = sources.env?.branch || DEFAULT_BRANCH;
  const fromEnv = githubHttps(sources.env?.url);
  if (fromEnv) return { repoUrl: fromEnv, branch };
  return { repoUrl: sources.origin ?? null, branch };
}

/**
 * The setting `deno task colab` writes with: `--repo URL` / `--branch B` (saved), else the saved
 * or configured one, else the origin remote on GitHub (saved too), else none. Throws a Spanish
 * message for a --repo that is not a GitHub repository URL.
 */
export function settingForWrite(
  args: string[],
  current: RepoSetting,
  where: { path?: string; origin?: () => string | null } = {},
): RepoSetting {
  const save = (setting: RepoSetting) => writeRepoFile(setting, where.path ?? REPO_FILE);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const repo = arg("--repo");
  const branch = arg("--branch") ?? current.branch;
  if (repo !== undefined) {
    const url = githubHttps(repo);
    if (!url) {
      throw new Error(
        `--repo «${repo}» no es la URL de un repositorio de GitHub ` +
          "(https://github.com/<organización>/<repositorio> o git@github.com:<organización>/<repositorio>.git).",
      );
    }
    const setting = { repoUrl: url, branch };
    save(setting);
    return setting;
  }
  if (current.repoUrl) {
    if (branch !== current.branch) save({ ...current, branch });
    return { ...current, branch };
  }
  const origin = (where.origin ?? originUrl)();
  const setting = { repoUrl: origin, branch };
  if (origin) save(setting);
  return setting;
}

/** The Python that checks the URL typed in the form before cloning (never a bare failure). */
export const CHECK_URL_PY: readonly string[] = [
  'KIT_REPO_URL = (url_del_repositorio_del_curso or os.environ.get("KIT_REPO_URL", "")).strip()',
  'KIT_BRANCH = os.environ.setdefault("KIT_BRANCH", KIT_BRANCH)',
  '_m = re.match(r"^https://github\\.com/([\\w.-]+)/([\\w.-]+?)(\\.git)?/?$", KIT_REPO_URL)',
  'KIT_DIR = os.environ.setdefault("KIT_DIR", f"/content/{_m.group(2)}" if _m else DEFAULT_KIT_DIR)',
  'if not os.path.isfile(f"{KIT_DIR}/scripts/colab_bootstrap.sh"):',
  "    if not KIT_REPO_URL:",
  '        raise RuntimeError("Falta la URL del kit: escríbela en el campo «URL del repositorio del curso» de esta "',
  '                           "celda (p. ej. https://github.com/organizacion/kit-llm-deno; te la da tu profesor) y vuelve a ejecutarla.")',
  "    if not _m:",
  '        raise RuntimeError(f"«{KIT_REPO_URL}» no es la URL de un repositorio de GitHub: cópiala de la barra de direcciones "',
  '                           "de la página del repositorio (https://github.com/organizacion/repositorio).")',
  '    _r = subprocess.run(["git", "ls-remote", "--heads", KIT_REPO_URL, KIT_BRANCH], capture_output=True, text=True,',
  '                        timeout=60, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})',
  "    if _r.returncode != 0:",
  '        raise RuntimeError(f"No se puede acceder a {KIT_REPO_URL}: ¿está bien escrita y el repositorio es público? "',
  '                           f"(git dijo: {_r.stderr.strip()[:200]})")',
  "    if not _r.stdout.strip():",
  '        raise RuntimeError(f"{KIT_REPO_URL} no tiene la rama «{KIT_BRANCH}»: revisa la URL o pon la rama en KIT_BRANCH.")',
  '    !git clone --quiet --depth 1 --branch "{KIT_BRANCH}" "{KIT_REPO_URL}" "{KIT_DIR}"',
  '    if not os.path.isfile(f"{KIT_DIR}/scripts/colab_bootstrap.sh"):',
  '        raise RuntimeError(f"{KIT_REPO_URL} no parece el kit del curso (no tiene scripts/colab_bootstrap.sh): revisa la URL.")',
];
