import { byteToUnicode, toByteLevel } from "./bytes.js";

/** Close to Qwen2's pre-tokenizer: words with a leading space, single digits, punctuation runs, whitespace. */
const PRE_SPLIT = /(?:'s|'t|'re|'ve|'m|'ll|'d)| ?\p{L}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\p{N}|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

export interface BpeVocab {
  /** Byte-level token strings; index = token id. Bytes first (256), then merges in rank order. */
  tokens: string[];
  /** "left right" pairs in rank order. */
  merges: string[];
}

/**
 * Learn `numMerges` byte-level BPE merges from `corpus` (greedy most-frequent pair, ties broken by
 * the pair string so the result is deterministic). Used to give tiny test models a real vocabulary.
 * @example trainBpe("the the the", 2).merges // ["Ġ t", "Ġt h"] or similar
 */
export function trainBpe(corpus: string, numMerges: number): BpeVocab {
  const words = new Map<string, number>();
  for (const m of corpus.matchAll(PRE_SPLIT)) {
    const w = toByteLevel(m[0]);
    words.set(w, (words.get(w) ?? 0) + 1);
  }
  let seqs = [...words].map(([w, count]) => ({ parts: [...w], count }));
  const tokens = [...byteToUnicode];
  const merges: string[] = [];
  for (let k = 0; k < numMerges; k++) {
    const pairs = new Map<string, number>();
    for (const { parts, count } of seqs) {
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = parts[i] + " " + parts[i + 1];
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    let best = "", bestCount = 0;
    for (const [key, count] of pairs) {
      if (count > bestCount || (count === bestCount && key < best)) { best = key; bestCount = count; }
    }
    if (bestCount < 2) break;
    const [a, b] = best.split(" ");
    merges.push(best);
    tokens.push(a + b);
    seqs = seqs.map(({ parts, count }) => {
      const next: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) { next.push(a + b); i++; }
        else next.push(parts[i]);
      }
      return { parts: next, count };
    });
  }
  return { tokens, merges };
}
