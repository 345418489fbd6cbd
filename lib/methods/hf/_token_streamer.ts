/**
 * Internal: turns transformers.js generation into an abortable stream of pieces, one per
 * generated token (the streamer callback: process.stdout, which the Deno kernel loses, is
 * never used).
 */
import { InterruptableStoppingCriteria } from "@huggingface/transformers";
import type { Piece } from "../../core/stream.ts";

/** The tokenizer surface the streamer needs. */
export interface Decoder {
  decode(ids: bigint[], opts: { skip_special_tokens: boolean }): string;
}

/**
 * A transformers.js streamer (put/end, as `generate` calls them): the first `put` is the
 * prompt (counted, not shown); each later `put` is one new token. It decodes all generated
 * ids so far and emits only the new characters, holding back an incomplete UTF-8 character
 * (U+FFFD at the end) until the next token completes it.
 */
export class TokenStreamer {
  promptTokens = 0;
  generated: bigint[] = [];
  private emitted = 0;
  private sawPrompt = false;

  constructor(private decoder: Decoder, private onPiece: (p: Piece) => void) {}

  /** Called by generate with [batch][tokens] ids. */
  put(value: bigint[][]): void {
    if (!this.sawPrompt) {
      this.sawPrompt = true;
      this.promptTokens = value[0].length;
      return;
    }
    this.generated.push(...value[0]);
    const text = this.decoder.decode(this.generated, { skip_special_tokens: true });
    const ready = text.endsWith("\uFFFD") ? text.slice(0, -1) : text;
    const piece = ready.slice(this.emitted);
    this.emitted = Math.max(this.emitted, ready.length);
    this.onPiece({ text: piece, tokens: value[0].length });
  }

  /** Called by generate at the end; flushes a held-back character. */
  end(): void {
    const text = this.decoder.decode(this.generated, { skip_special_tokens: true });
    if (text.length > this.emitted) this.onPiece({ text: text.slice(this.emitted), tokens: 0 });
    this.emitted = text.length;
  }
}

/** What a run of generate reports back to the stream. */
export interface GenerationRun {
  promptTokens: number;
  generatedTokens: number;
}

/**
 * Runs `generate(streamer, stoppingCriteria)` and yields its pieces as they arrive. An abort
 * of `signal` interrupts generation at the next token (the stopping criteria are checked
 * after every token).
 */
export async function* streamGeneration(
  decoder: Decoder,
  signal: AbortSignal,
  generate: (streamer: TokenStreamer, stop: InterruptableStoppingCriteria) => Promise<unknown>,
): AsyncGenerator<Piece, GenerationRun> {
  const queue: Piece[] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const streamer = new TokenStreamer(decoder, (p) => {
    queue.push(p);
    notify();
  });
  const stop = new InterruptableStoppingCriteria();
  const onAbort = () => stop.interrupt();
  signal.addEventListener("abort", onAbort);
  let finished = false;
  let failure: unknown = null;
  const running = generate(streamer, stop).then(
    () => {
      finished = true;
      notify();
    },
    (e) => {
      failure = e;
      finished = true;
      notify();
    },
  );
  try {
    while (true) {
      if (queue.length) {
        yield queue.shift()!;
        continue;
      }
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
    }
    await running;
    if (failure) throw failure;
    return { promptTokens: streamer.promptTokens, generatedTokens: streamer.generated.length };
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (!finished) {
      stop.interrupt(); // the consumer left early: let generate finish its current token
      await running;
    }
  }
}
