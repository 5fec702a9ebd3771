/**
 * Truncation at τ generator tokens: the first τ tokens of the solution under the *generator's*
 * tokenizer, decoded back to text (τ at or past the end = the whole solution, unchanged).
 */
export interface TextTokenizer {
  tokenize(text: string): readonly number[];
  detokenize(tokens: readonly number[]): string;
}

export interface Truncation {
  /** Generator tokens of the whole solution (re-tokenized here). */
  length: number;
  /** The text at each threshold, in the order given. */
  texts: string[];
}

export function truncate(text: string, tokenizer: TextTokenizer, thresholds: readonly number[]): Truncation {
  const tokens = tokenizer.tokenize(text);
  return {
    length: tokens.length,
    texts: thresholds.map((tau) => (tau >= tokens.length ? text : tokenizer.detokenize(tokens.slice(0, tau)))),
  };
}

/** A node-llama-cpp model (vocabulary-only is enough) as a plain-text tokenizer: no special tokens parsed. */
export function llamaTextTokenizer(model: { tokenize(text: string, special?: boolean): readonly number[]; detokenize(tokens: readonly any[], special?: boolean): string }): TextTokenizer {
  return {
    tokenize: (text) => model.tokenize(text, false),
    detokenize: (tokens) => model.detokenize(tokens as any[], false),
  };
}
