/** Progress bars that update in place in a notebook cell. */
import { displayBundle, escapeHtml, inJupyter, newDisplayId } from "./_jupyter.ts";

/** A progress bar handle. */
export interface ProgressBar {
  /** Sets progress to `done` of `total` (total may be learned late, e.g. from a download). */
  update(done: number, total?: number, note?: string): void;
  /** Marks the bar finished (100 %) with an optional closing note. */
  finish(note?: string): void;
}

/** Renders "label ████░░░░ 50 % (5/10) note" for consoles and text/plain. */
export function progressText(label: string, done: number, total: number, note = ""): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const width = 20;
  const filled = Math.round(fraction * width);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const pct = Math.floor(fraction * 100);
  return `${label} ${bar} ${pct} % (${done}/${total})${note ? " " + note : ""}`;
}

function progressHtml(label: string, done: number, total: number, note: string): string {
  return `<div><span>${escapeHtml(label)}</span> <progress value="${done}" max="${total}"` +
    ` style="width:20em"></progress> <span>${
      escapeHtml(
        progressText("", done, total, note)
          .replace(/^ [█░]+ /, ""),
      )
    }</span></div>`;
}

/**
 * Creates a progress bar. In a notebook it is one output updated in place (display_id);
 * elsewhere it prints a console line at each 10 % step and at the end, never more.
 *
 * @example
 * ```ts
 * const bar = progressBar("Descargando", 3);
 * for (let i = 1; i <= 3; i++) bar.update(i);
 * bar.finish("listo");
 * ```
 */
export function progressBar(label: string, total = 0): ProgressBar {
  const jupyter = inJupyter();
  const displayId = newDisplayId("progress");
  let lastStep = -1;
  let shown = false;
  let current = { done: 0, total };
  const render = (done: number, tot: number, note: string, final: boolean) => {
    if (jupyter) {
      displayBundle({
        "text/plain": progressText(label, done, tot, note),
        "text/html": progressHtml(label, done, tot, note),
      }, { displayId, update: shown });
      shown = true;
      return;
    }
    const step = tot > 0 ? Math.floor((10 * done) / tot) : 0;
    if (final || step > lastStep) {
      lastStep = step;
      console.log(progressText(label, done, tot, note));
    }
  };
  render(0, total, "", false);
  return {
    update(done, newTotal, note = "") {
      current = { done, total: newTotal ?? current.total };
      render(current.done, current.total, note, false);
    },
    finish(note = "") {
      const tot = current.total || current.done;
      render(tot, tot, note, true);
    },
  };
}
