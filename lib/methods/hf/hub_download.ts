/**
 * Downloads a hub model's files into the kit's cache before transformers.js loads them, with one
 * progress bar: notebook 01 calls the library's three lines (`pipeline("text-generation", id)`)
 * without a progress callback, and a ~540 MB download would otherwise run silently.
 *
 * @module
 */
import { env, ModelRegistry } from "@huggingface/transformers";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { KitError } from "../../core/errors.ts";
import type { Dtype } from "../../measure/memory.ts";
import type { ResolvedModel } from "./catalogue.ts";
import { hubLoadError } from "./hub_errors.ts";
import { DTYPE_FILES, HF_CACHE_DIR } from "./transformers.ts";
import { progressBar } from "../../show/mod.ts";
import { idleTimeoutFetch } from "./download_idle.ts";

/**
 * The kit's dtypes whose ONNX file the hub has for model `id` (transformers.js asks the hub for
 * each file, ModelRegistry.get_available_dtypes), or null when the hub cannot say (refused,
 * unreachable, no answer within `timeoutMs`): then the catalogue's list is all there is.
 */
export async function hubDtypes(id: string, timeoutMs = 15_000): Promise<Dtype[] | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  try {
    const asked = ModelRegistry.get_available_dtypes(id);
    asked.catch(() => {}); // if it fails after the time limit, nobody waits for it any more
    const have = await Promise.race([asked, late]);
    return have && (Object.keys(DTYPE_FILES) as Dtype[]).filter((d) => have.includes(d));
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Options of {@link downloadModelFiles}. */
export interface DownloadOptions {
  /** The dtype the pipeline will be asked for (default: the library's own choice). */
  dtype?: Dtype;
  /** Which method downloads (for error messages). */
  method?: 1 | 2;
  /**
   * How long a file may go without a byte before its download is cut (default
   * DOWNLOAD_IDLE_TIMEOUT_MS of download_idle.ts, 60 s); tests use a short one.
   */
  idleTimeoutMs?: number;
}

/** The URL transformers.js would fetch for `file` of `id` (env.remoteHost, its path template). */
function fileUrl(id: string, file: string): string {
  const host = env.remoteHost.endsWith("/") ? env.remoteHost : env.remoteHost + "/";
  const path = env.remotePathTemplate.replaceAll("{model}", id).replaceAll("{revision}", "main");
  return host + (path.endsWith("/") ? path : path + "/") + file;
}

/**
 * Streams a response body to `path` through a temporary file (as transformers.js's cache does):
 * `path` appears only once the file is whole; on an error, or when `stop` aborts (another file
 * failed), the temporary file is removed and nothing is left.
 */
async function save(
  res: Response,
  path: string,
  onBytes: (n: number) => void,
  stop: AbortSignal,
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}`;
  const file = await open(tmp, "w");
  const reader = res.body!.getReader();
  const stopped = new Promise<never>((_, reject) => {
    const fail = () => reject(stop.reason);
    if (stop.aborted) fail();
    else stop.addEventListener("abort", fail, { once: true });
  });
  stopped.catch(() => {});
  try {
    while (true) {
      const { done, value } = await Promise.race([reader.read(), stopped]);
      if (done) break;
      await file.write(value);
      onBytes(value.length);
    }
    await file.close();
    renameSync(tmp, path);
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    await file.close().catch(() => {});
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Puts in {@link HF_CACHE_DIR} the files that `pipeline("text-generation", id, { dtype })` will
 * load (transformers.js's own list, ModelRegistry.get_pipeline_files), downloading only those
 * not cached yet, with one bar ("Descargando …") for all of them. Afterwards transformers.js
 * reads them from the cache. A file the hub does not have (404) is skipped: the library decides
 * whether it needed it. A refusal (401/403) is explained in Spanish ({@link hubLoadError}); a
 * file that stalls (no byte for `idleTimeoutMs`) is cut with a Spanish KitError, and no part of
 * any unfinished file stays in the cache.
 * Local models (offline) need nothing. Returns the bytes downloaded.
 *
 * @example
 * ```ts
 * await downloadModelFiles(await resolveModel("HuggingFaceTB/SmolLM2-135M-Instruct"));
 * ```
 */
export async function downloadModelFiles(
  model: ResolvedModel,
  opts: DownloadOptions = {},
): Promise<number> {
  if (model.mode !== "online") return 0;
  const method = opts.method ?? 1;
  let files: string[];
  try {
    files = await ModelRegistry.get_pipeline_files("text-generation", model.id, {
      dtype: opts.dtype,
    });
  } catch (error) {
    throw hubLoadError(error, model.id, method, model.entry);
  }
  const missing = files.filter((f) => !existsSync(join(HF_CACHE_DIR, model.id, f)));
  // transformers.js's fetch (the kit's hubFetch), with this call's idle limit on each file.
  const get = idleTimeoutFetch(env.fetch as typeof fetch, { idleMs: opts.idleTimeoutMs, method });
  const asked = await Promise.allSettled(
    missing.map(async (file) => ({ file, res: await get(fileUrl(model.id, file)) })),
  );
  const failed = asked.find((a) => a.status === "rejected");
  if (failed) {
    for (const a of asked) if (a.status === "fulfilled") await a.value.res.body?.cancel();
    throw hubLoadError(failed.reason, model.id, method, model.entry);
  }
  const answers = asked.map((a) =>
    (a as PromiseFulfilledResult<{ file: string; res: Response }>).value
  );
  const found: { file: string; res: Response }[] = [];
  let refused: unknown = null;
  for (const { file, res } of answers) {
    if (res.ok && res.body) found.push({ file, res });
    else {
      await res.body?.cancel();
      if (res.status === 401 || res.status === 403) refused ??= { status: res.status };
      else if (res.status !== 404) {
        refused ??= new KitError(
          `El Hub (${env.remoteHost}) respondió ${res.status} al descargar ${file} de ` +
            `«${model.id}». Vuelve a intentarlo en un rato.`,
          { method, kind: "server", status: res.status },
        );
      }
    }
  }
  if (refused) {
    for (const { res } of found) await res.body?.cancel();
    throw refused instanceof KitError
      ? refused
      : hubLoadError(refused, model.id, method, model.entry);
  }
  if (!found.length) return 0;
  // One bar for all files. A size the server does not give (no Content-Length, or a compressed
  // body whose length is not the file's) grows with what arrives; the bar ends when all have.
  const sizes = found.map(({ res }) => Number(res.headers.get("content-length") ?? 0) || 0);
  const loaded = found.map(() => 0);
  const sum = (xs: number[]) => xs.reduce((a, n) => a + n, 0);
  const total = () => sum(sizes.map((n, i) => Math.max(n, loaded[i])));
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  const bar = progressBar(`Descargando ${model.id}`, total());
  const show = () => bar.update(sum(loaded), total(), `${mb(sum(loaded))} de ${mb(total())}`);
  show();
  // The first file that fails stops the others; all have removed their partial files before
  // the error goes out, so the next run downloads again whatever is not whole.
  const stop = new AbortController();
  const saves = found.map(({ file, res }, i) =>
    save(res, join(HF_CACHE_DIR, model.id, file), (n) => {
      loaded[i] += n;
      show();
    }, stop.signal)
  );
  try {
    await Promise.all(saves);
  } catch (error) {
    stop.abort(error);
    await Promise.allSettled(saves);
    bar.update(sum(loaded), total(), "descarga interrumpida");
    throw hubLoadError(error, model.id, method, model.entry);
  }
  bar.finish(`descargado: ${mb(sum(loaded))} en ${HF_CACHE_DIR}`);
  return sum(loaded);
}
