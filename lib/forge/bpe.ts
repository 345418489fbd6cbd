/**
 * A small BPE trainer and encoder in the style of Llama's tokenizer: words carry a leading
 * "▁" (metaspace), merges are learned inside words only, and characters outside the
 * vocabulary fall back to byte tokens `<0xNN>`.
 *
 * @module
 */

/** Metaspace character that stands for a space. */
export const METASPACE = "\u2581";

/** Special tokens, with Llama's ids. */
export const SPECIAL_TOKENS = ["<unk>", "<s>", "</s>"] as const;

/** A trained BPE: vocabulary (token → id, ids dense from 0) and merges in rank order. */
export interface Bpe {
  vocab: Map<string, number>;
  merges: [string, string][];
}

/** The byte-fallback token for a byte value, e.g. `<0x0A>`. */
export function byteToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/** Splits a paragraph into metaspace words: "hola mundo" → ["▁hola", "▁mundo"]. */
export function metaspaceWords(text: string): string[] {
  return text.split(" ").filter((w) => w.length > 0).map((w) => METASPACE + w);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Trains a BPE on paragraphs: base alphabet = every character of the corpus (most frequent
 * first), then merges of the most frequent adjacent pair (ties: lexicographically smallest
 * pair) until the vocabulary has `vocabSize` tokens or no pair occurs twice. Ids: 0 <unk>,
 * 1 <s>, 2 </s>, 3–258 bytes, then characters, then merges; `<extra_N>` tokens pad the
 * vocabulary to exactly `vocabSize`.
 *
 * @example
 * ```ts
 * const bpe = trainBpe(["la casa la cosa"], 300);
 * ```
 */
export function trainBpe(paragraphs: string[], vocabSize: number): Bpe {
  const vocab = new Map<string, number>();
  const add = (t: string) => {
    if (!vocab.has(t)) vocab.set(t, vocab.size);
  };
  for (const s of SPECIAL_TOKENS) add(s);
  for (let b = 0; b < 256; b++) add(byteToken(b));

  const wordFreq = new Map<string, number>();
  for (const p of paragraphs) {
    for (const w of metaspaceWords(p)) wordFreq.set(w, (wordFreq.get(w) ?? 0) + 1);
  }
  const charFreq = new Map<string, number>();
  for (const [w, f] of wordFreq) {
    for (const c of w) charFreq.set(c, (charFreq.get(c) ?? 0) + f);
  }
  const chars = [...charFreq.entries()].sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]));
  for (const [c] of chars) {
    if (vocab.size < vocabSize) add(c);
  }

  const words = [...wordFreq.entries()].map(([w, f]) => ({ symbols: Array.from(w), freq: f }));
  const merges: [string, string][] = [];
  while (vocab.size < vocabSize) {
    const pairs = new Map<string, number>();
    for (const { symbols, freq } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = symbols[i] + "\u0000" + symbols[i + 1];
        pairs.set(key, (pairs.get(key) ?? 0) + freq);
      }
    }
    let best: string | null = null;
    let bestCount = 1;
    for (const [key, count] of pairs) {
      if (count > bestCount || (count === bestCount && best !== null && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === null) break;
    const [a, b] = best.split("\u0000") as [string, string];
    merges.push([a, b]);
    add(a + b);
    for (const w of words) {
      const s = w.symbols;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(s[i]);
      }
      w.symbols = out;
    }
  }
  for (let n = 0; vocab.size < vocabSize; n++) add(`<extra_${n}>`);
  return { vocab, merges };
}

/**
 * Encodes one paragraph (no special tokens) the way the exported tokenizer.json does: a
 * leading "▁", spaces as "▁", merges applied lowest rank first (leftmost on ties), byte
 * fallback for pieces outside the vocabulary.
 *
 * @example
 * ```ts
 * encodeBpe(bpe, "la casa"); // [ids…]
 * ```
 */
export function encodeBpe(bpe: Bpe, text: string): number[] {
  const ranks = new Map<string, number>();
  bpe.merges.forEach(([a, b], i) => ranks.set(a + "\u0000" + b, i));
  const ids: number[] = [];
  if (text.length === 0) return ids;
  let normalized = text.replaceAll(" ", METASPACE);
  if (!normalized.startsWith(METASPACE)) normalized = METASPACE + normalized;
  const symbols = Array.from(normalized);
  while (symbols.length > 1) {
    let bestRank = Infinity;
    let bestAt = -1;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const r = ranks.get(symbols[i] + "\u0000" + symbols[i + 1]);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        bestAt = i;
      }
    }
    if (bestAt < 0) break;
    symbols.splice(bestAt, 2, symbols[bestAt] + symbols[bestAt + 1]);
  }
  const utf8 = new TextEncoder();
  for (const s of symbols) {
    const id = bpe.vocab.get(s);
    if (id !== undefined) ids.push(id);
    else for (const b of utf8.encode(s)) ids.push(bpe.vocab.get(byteToken(b))!);
  }
  return ids;
}

/** Pads a vocabulary with unreachable `<extra_N>` tokens up to `size` (for 32000-token shapes). */
export function padVocab(bpe: Bpe, size: number): Bpe {
  const vocab = new Map(bpe.vocab);
  for (let n = 0; vocab.size < size; n++) {
    if (!vocab.has(`<extra_${n}>`)) vocab.set(`<extra_${n}>`, vocab.size);
  }
  return { vocab, merges: bpe.merges };
}
