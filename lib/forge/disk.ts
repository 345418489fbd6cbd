/**
 * Free disk space and writability checks, done before a build starts.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { ForgeError } from "./errors.ts";

/** Free bytes on the filesystem holding `dir` (via `df`), or null when it cannot be read. */
export async function freeBytes(dir: string): Promise<number | null> {
  try {
    const out = await new Deno.Command("df", { args: ["-B1", "--output=avail", dir] }).output();
    if (!out.success) return null;
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    const n = Number(lines[lines.length - 1].trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * Makes sure the parent of `outDir` exists and is writable, or throws a {@link ForgeError}.
 * Returns the parent folder.
 */
export async function ensureWritableParent(outDir: string): Promise<string> {
  const parent = dirname(outDir);
  try {
    await Deno.mkdir(parent, { recursive: true });
    const probe = join(parent, `.forge-probe-${Deno.pid}-${Date.now()}`);
    await Deno.writeFile(probe, new Uint8Array(1));
    await Deno.remove(probe);
  } catch (e) {
    throw new ForgeError(
      `No se puede escribir en la carpeta de salida "${parent}": ${(e as Error).message}`,
    );
  }
  return parent;
}

/** Throws a {@link ForgeError} when `needed` bytes (plus 5% margin) do not fit in `dir`. */
export async function ensureFreeSpace(dir: string, needed: number): Promise<void> {
  const free = await freeBytes(dir);
  if (free !== null && needed * 1.05 > free) {
    const gb = (n: number) => (n / 1e9).toFixed(2);
    throw new ForgeError(
      `No hay espacio suficiente en disco: el modelo necesita unos ${gb(needed)} GB y solo ` +
        `quedan ${gb(free)} GB libres en "${dir}".`,
    );
  }
}
