import { byteToUnicode } from "../../src/tokenizer/bytes.js";

/**
 * An independent reference encoder for tokenizer.json byte-level BPE tokenizers, written from the
 * `tokenizers` library's semantics (not from llama.cpp): split on added tokens, NFC when the
 * normalizer says so, the pre-tokenizer's Split regex (Isolated), byte-level alphabet, then BPE by
 * merge rank (`ignore_merges`: whole-vocab words skip BPE), then vocabulary ids.
 */
export function hfEncode(tokenizer: Record<string, any>, text: string): number[] {
  const model = tokenizer.model;
  const vocab: Record<string, number> = model.vocab;
  const ranks = new Map<string, number>();
  (model.merges as (string | string[])[]).forEach((m, i) => ranks.set(typeof m === "string" ? m : m.join(" "), i));
  const added: { id: number; content: string }[] = [...tokenizer.added_tokens].sort((a, b) => b.content.length - a.content.length);
  const pre = tokenizer.pre_tokenizer.pretokenizers.find((p: any) => p.type === "Split").pattern.Regex as string;
  const regex = new RegExp(jsRegex(pre), "gu");
  const nfc = tokenizer.normalizer?.type === "NFC";
  const ids: number[] = [];
  const encodeSegment = (segment: string) => {
    if (!segment) return;
    for (const m of (nfc ? segment.normalize("NFC") : segment).matchAll(regex)) {
      const word = [...Buffer.from(m[0], "utf8")].map((b) => byteToUnicode[b]).join("");
      if (model.ignore_merges && vocab[word] !== undefined) { ids.push(vocab[word]); continue; }
      for (const piece of bpe(word, ranks)) {
        if (vocab[piece] === undefined) throw new Error(`piece ${piece} not in vocab`);
        ids.push(vocab[piece]);
      }
    }
  };
  let start = 0;
  for (let i = 0; i < text.length; ) {
    const hit = added.find((a) => text.startsWith(a.content, i));
    if (hit) {
      encodeSegment(text.slice(start, i));
      ids.push(hit.id);
      i += hit.content.length;
      start = i;
    } else i++;
  }
  encodeSegment(text.slice(start));
  return ids;
}

/** Merge the lowest-ranked adjacent pair until none is in the merge list. */
function bpe(word: string, ranks: Map<string, number>): string[] {
  let parts = [...word];
  for (;;) {
    let best = -1, bestRank = Infinity;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = ranks.get(parts[i] + " " + parts[i + 1]);
      if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
    }
    if (best < 0) return parts;
    const [a, b] = [parts[best], parts[best + 1]];
    const next: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) { next.push(a + b); i++; }
      else next.push(parts[i]);
    }
    parts = next;
  }
}

/** The Oniguruma-style `(?i:…)` group (JavaScript has no inline flags) spelled with character classes. */
function jsRegex(pattern: string): string {
  return pattern.replace(/\(\?i:([^)]*)\)/g, (_, body: string) =>
    "(?:" + body.replace(/[a-z]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`) + ")");
}
