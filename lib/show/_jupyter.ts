/** Internal: talking to the Deno Jupyter kernel when there is one. */

/** A Jupyter MIME bundle: MIME type → content. */
export type MimeBundle = Record<string, string>;

/** True inside `deno jupyter` (Deno.jupyter throws when read anywhere else). */
export function inJupyter(): boolean {
  try {
    return typeof Deno.jupyter?.display === "function";
  } catch {
    return false;
  }
}

let counter = 0;

/** A display id unique within this kernel, so a later update finds its output. */
export function newDisplayId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/**
 * Shows a MIME bundle in the cell; with `update`, replaces the output with that display id.
 * Deno.jupyter.display is asynchronous: its promise is not awaited (tables and charts are
 * shown from synchronous helpers) but never left to reject unhandled, which would end the
 * kernel; a failure is said on stderr instead.
 */
export function displayBundle(
  bundle: MimeBundle,
  opts: { displayId?: string; update?: boolean } = {},
): void {
  Promise.resolve(Deno.jupyter.display(bundle, {
    raw: true,
    display_id: opts.displayId,
    update: opts.update ?? false,
  })).catch((error) => console.error(`No se pudo mostrar la salida en la celda: ${error}`));
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
