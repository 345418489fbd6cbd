/** Streaming text (tokens of a generation) shown as it arrives. */
import { displayBundle, inJupyter, newDisplayId } from "./_jupyter.ts";

/** A live text output. */
export interface StreamText {
  /** Appends a piece of text (a token). */
  append(piece: string): void;
  /** Shows the final text (read it from `text`). */
  finish(): void;
  /** Everything appended so far. */
  readonly text: string;
}

/**
 * Shows text that grows token by token. In a notebook: one output updated in place (at most
 * every `intervalMs`, plus once at the end), because console.log would print one line per
 * token and process.stdout is lost by the Deno kernel. Outside a notebook: written straight
 * to stdout.
 *
 * @example
 * ```ts
 * const out = streamText("Respuesta: ");
 * for await (const token of tokens) out.append(token);
 * out.finish();
 * ```
 */
export function streamText(prefix = "", intervalMs = 50): StreamText {
  const jupyter = inJupyter();
  const displayId = newDisplayId("stream");
  const encoder = new TextEncoder();
  let text = "";
  let lastShown = 0;
  let shown = false;
  const show = () => {
    displayBundle({ "text/plain": prefix + text }, { displayId, update: shown });
    shown = true;
    lastShown = performance.now();
  };
  if (jupyter) show();
  else if (prefix) Deno.stdout.writeSync(encoder.encode(prefix));
  return {
    append(piece) {
      text += piece;
      if (!jupyter) Deno.stdout.writeSync(encoder.encode(piece));
      else if (performance.now() - lastShown >= intervalMs) show();
    },
    finish() {
      if (jupyter) show();
      else Deno.stdout.writeSync(encoder.encode("\n"));
    },
    get text() {
      return text;
    },
  };
}
