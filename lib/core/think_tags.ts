/**
 * Splitting a reasoning model's text into thinking and answer when the thinking arrives inline,
 * between `<think>` and `</think>` (Qwen3 and DeepSeek-R1 write it so; Groq sends it so with
 * `reasoning_format: "raw"`, Ollama's parser does this split on the server). Works on a stream:
 * a tag split across pieces is held back until it is whole.
 *
 * @module
 */

/** A run of text and whether it is thinking or answer. */
export interface ThinkPart {
  kind: "thinking" | "answer";
  text: string;
}

const OPEN = "<think>";
const CLOSE = "</think>";

/** Whether `s` ends with a proper prefix of `tag` (a tag that may continue in the next piece). */
function heldBack(s: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, s.length); n > 0; n--) {
    if (s.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}

/**
 * A streaming splitter: `push(piece)` returns the parts now known, `end()` what was held back.
 * Thinking is recognised only at the start of the text (leading whitespace allowed), as the
 * models put it; a `<think>` later in the answer is answer text.
 *
 * @example
 * ```ts
 * const s = thinkSplitter();
 * [...s.push("<think>hm"), ...s.push("m</th"), ...s.push("ink>Sí"), ...s.end()];
 * // [{kind:"thinking",text:"hm"},{kind:"thinking",text:"m"},{kind:"answer",text:"Sí"}]
 * ```
 */
export function thinkSplitter(
  opts: { startInThinking?: boolean } = {},
): { push(piece: string): ThinkPart[]; end(): ThinkPart[] } {
  let state: "start" | "thinking" | "answer" = opts.startInThinking ? "thinking" : "start";
  let buf = "";
  let afterClose = false;
  function drain(): ThinkPart[] {
    const out: ThinkPart[] = [];
    while (buf) {
      if (state === "start") {
        const trimmed = buf.trimStart();
        if (trimmed.startsWith(OPEN)) {
          buf = trimmed.slice(OPEN.length);
          state = "thinking";
          continue;
        }
        if (OPEN.startsWith(trimmed)) return out; // maybe the tag, not whole yet
        state = "answer";
        continue;
      }
      if (state === "thinking") {
        const at = buf.indexOf(CLOSE);
        if (at >= 0) {
          if (at > 0) out.push({ kind: "thinking", text: buf.slice(0, at) });
          buf = buf.slice(at + CLOSE.length);
          state = "answer";
          afterClose = true;
          continue;
        }
        const keep = heldBack(buf, CLOSE);
        if (buf.length > keep) {
          out.push({ kind: "thinking", text: buf.slice(0, buf.length - keep) });
        }
        buf = buf.slice(buf.length - keep);
        return out;
      }
      // The blank line models put after </think> is not part of the answer.
      if (afterClose) {
        buf = buf.trimStart();
        if (!buf) return out;
        afterClose = false;
      }
      out.push({ kind: "answer", text: buf });
      buf = "";
    }
    return out;
  }
  return {
    push(piece: string) {
      buf += piece;
      return drain();
    },
    end() {
      const out = drain();
      if (buf) out.push({ kind: state === "thinking" ? "thinking" : "answer", text: buf });
      buf = "";
      return out;
    },
  };
}

/** Splits a whole text at once (see {@link thinkSplitter}): the thinking and the answer. */
export function splitThinking(text: string): { thinking: string; answer: string } {
  const s = thinkSplitter();
  const parts = [...s.push(text), ...s.end()];
  return {
    thinking: parts.filter((p) => p.kind === "thinking").map((p) => p.text).join(""),
    answer: parts.filter((p) => p.kind === "answer").map((p) => p.text).join(""),
  };
}
