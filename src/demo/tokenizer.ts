import { trainBpe } from "../tokenizer/bpe.js";
import { CHATML_TEMPLATE, SPECIAL_TOKENS } from "../gguf/tiny.js";

/**
 * Qwen2's pre-tokenizer (words with one leading non-letter, single digits, punctuation runs,
 * newlines, spaces). The demo tokenizer declares it, so Hugging Face `tokenizers` and llama.cpp
 * (`tokenizer.ggml.pre = qwen2`) split text the same way, and every digit is its own token.
 */
export const QWEN2_PRETOKENIZE_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export interface DemoTokenizerFiles {
  /** Hugging Face `tokenizer.json` (byte-level BPE, Qwen2 pre-tokenizer, ChatML specials). */
  tokenizer: Record<string, unknown>;
  /** Hugging Face `tokenizer_config.json` with the ChatML chat template. */
  tokenizerConfig: Record<string, unknown>;
  /** Token strings by id (bytes 0…255, merges, then the specials last). */
  tokens: string[];
  merges: string[];
  specialIds: Record<(typeof SPECIAL_TOKENS)[number], number>;
}

export interface DemoCorpusRow {
  problem: string;
  solution?: string;
}

/**
 * The text the BPE merges are learned from: every conversation the two demo models see, with the
 * special tokens left out (they split text into separate pieces anyway). The system prompts come
 * once per problem, so their words get whole tokens as they would in real training data.
 */
export function demoCorpus(rows: readonly DemoCorpusRow[], generatorSystemPrompt: string, prmSystemPrompt: string): string {
  const parts: string[] = [];
  for (const row of rows) {
    parts.push("system\n" + generatorSystemPrompt, "\n", "user\n" + row.problem, "\n", "assistant\n");
    if (row.solution) {
      parts.push(row.solution);
      parts.push("system\n" + prmSystemPrompt, "\n", "user\n" + row.problem, "\n", "assistant\n", ...row.solution.split("\n\n"));
    }
  }
  return parts.join("\n");
}

/**
 * Learn a byte-level BPE of exactly `vocabSize` tokens (256 bytes + merges + 4 ChatML specials) and
 * spell it as Hugging Face tokenizer files. Deterministic in its input.
 */
export function buildDemoTokenizer(corpus: string, vocabSize: number): DemoTokenizerFiles {
  const numMerges = vocabSize - 256 - SPECIAL_TOKENS.length;
  if (numMerges < 0) throw new Error(`vocabulary size ${vocabSize} leaves no room for the 256 bytes and the specials`);
  const bpe = trainBpe(corpus, numMerges);
  if (bpe.merges.length !== numMerges) {
    throw new Error(`the corpus only supports ${bpe.merges.length} merges, ${numMerges} asked for: give a larger corpus or a smaller vocabulary`);
  }
  const tokens = [...bpe.tokens];
  const seen = new Set<string>();
  for (const t of tokens) {
    if (seen.has(t)) throw new Error(`BPE produced the token ${JSON.stringify(t)} twice`);
    seen.add(t);
  }
  const specialIds = {} as DemoTokenizerFiles["specialIds"];
  for (const s of SPECIAL_TOKENS) specialIds[s] = tokens.push(s) - 1;

  const vocab: Record<string, number> = {};
  bpe.tokens.forEach((t, i) => (vocab[t] = i));
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: specialIds[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: QWEN2_PRETOKENIZE_REGEX }, behavior: "Isolated", invert: false },
        byteLevel,
      ],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: bpe.merges,
    },
  };
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const s of SPECIAL_TOKENS) {
    addedTokensDecoder[String(specialIds[s])] = { content: s, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  }
  const tokenizerConfig = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: addedTokensDecoder,
    additional_special_tokens: ["<|im_start|>", "<|im_end|>", "<extra_0>"],
    bos_token: null,
    chat_template: CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: "<|im_end|>",
    errors: "replace",
    model_max_length: 1024,
    pad_token: "<|endoftext|>",
    split_special_tokens: false,
    tokenizer_class: "Qwen2Tokenizer",
    unk_token: null,
  };
  return { tokenizer, tokenizerConfig, tokens, merges: bpe.merges, specialIds };
}
