import { readFileSync } from "node:fs";
import { UserError } from "../errors.js";
import { TokenType } from "../gguf/constants.js";
import { kv, type GgufValue } from "../gguf/writer.js";
import type { Checkpoint } from "./checkpoint.js";

/**
 * The pre-tokenizer split patterns llama.cpp knows by name. convert_hf_to_gguf.py identifies them
 * by hashing a tokenization; we have no Python tokenizer, so we compare the regex itself.
 * They differ in digits: Qwen2 splits every digit, Llama 3 groups up to three.
 */
export const PRE_TOKENIZERS: Record<string, string> = {
  qwen2: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  "llama-bpe": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

/** The Split regex of a tokenizer.json pre_tokenizer (possibly inside a Sequence). */
export function splitRegex(tokenizer: Record<string, any>): string | undefined {
  const pre = tokenizer.pre_tokenizer;
  const parts: any[] = pre?.type === "Sequence" ? pre.pretokenizers ?? [] : pre ? [pre] : [];
  return parts.find((p) => p?.type === "Split" && typeof p.pattern?.Regex === "string")?.pattern.Regex;
}

function detectPre(tokenizer: Record<string, any>): string {
  const regex = splitRegex(tokenizer);
  const name = Object.keys(PRE_TOKENIZERS).find((k) => PRE_TOKENIZERS[k] === regex);
  if (!name) {
    throw new UserError(
      `unsupported pre-tokenizer ${regex ? `regex ${JSON.stringify(regex).slice(0, 80)}…` : "(no Split regex)"}; convert knows the Qwen2 ("qwen2") and Llama 3 ("llama-bpe") byte-level BPE tokenizers`,
    );
  }
  return name;
}

/** convert_hf_to_gguf's heuristic for added tokens that are control tokens though not marked special. */
function looksSpecial(token: string): boolean {
  return (token.startsWith("<|") && token.endsWith("|>")) || (token.startsWith("<｜") && token.endsWith("｜>")) ||
    ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(token) || (token.startsWith("<unused") && token.endsWith(">"));
}

/** A merges list in the old "a b" form; newer tokenizer.json files store [a, b] pairs (spaces → Ġ). */
function mergesOf(model: Record<string, any>): string[] {
  const merges: unknown[] = model.merges ?? [];
  return merges.map((m) => {
    if (typeof m === "string") return m;
    if (Array.isArray(m) && m.length === 2) return m.map((part: string) => part.replace(/ /g, "\u0120")).join(" ");
    throw new UserError("tokenizer.json has merges in an unknown format");
  });
}

export interface TokenizerInfo {
  tokens: string[];
  types: TokenType[];
  pre: string;
  metadata: Record<string, GgufValue>;
}

/**
 * The `tokenizer.ggml.*` entries for a byte-level BPE tokenizer, following convert_hf_to_gguf.py:
 * one token per id up to the model's vocab_size (gaps as [PADn], UNUSED), added tokens CONTROL
 * when special (or shaped like `<|…|>`) and USER_DEFINED otherwise, merges, special ids from
 * tokenizer_config (by content) then config.json, add_bos/add_eos, and the chat template.
 */
export function tokenizerMetadata(ckpt: Checkpoint): TokenizerInfo {
  const { tokenizer: tj, tokenizerConfig: tc, config } = ckpt;
  const model = tj.model ?? {};
  if (model.type !== "BPE") throw new UserError(`tokenizer.json model type is ${model.type ?? "missing"}; convert handles byte-level BPE tokenizers only`);
  const pre = detectPre(tj);
  const added: { id: number; content: string; special?: boolean }[] = tj.added_tokens ?? [];
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(model.vocab ?? {})) byId.set(id as number, token);
  for (const a of added) byId.set(a.id, a.content);
  const maxId = Math.max(...byId.keys());
  const vocabSize: number = config.vocab_size ?? maxId + 1;
  if (maxId >= vocabSize) throw new UserError(`tokenizer has token id ${maxId} but config.json vocab_size is ${vocabSize}`);
  const addedById = new Map(added.map((a) => [a.id, a]));
  const tokens: string[] = [], types: TokenType[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const token = byId.get(i);
    const a = addedById.get(i);
    if (token === undefined) { tokens.push(`[PAD${i}]`); types.push(TokenType.UNUSED); }
    else if (a) { tokens.push(token); types.push(a.special || looksSpecial(token) ? TokenType.CONTROL : TokenType.USER_DEFINED); }
    else { tokens.push(token); types.push(TokenType.NORMAL); }
  }
  const metadata: Record<string, GgufValue> = {
    "tokenizer.ggml.model": kv.str("gpt2"),
    "tokenizer.ggml.pre": kv.str(pre),
    "tokenizer.ggml.tokens": kv.strs(tokens),
    "tokenizer.ggml.token_type": kv.i32s(types),
    "tokenizer.ggml.merges": kv.strs(mergesOf(model)),
  };
  const keyOf: Record<string, string> = { bos: "bos", eos: "eos", unk: "unknown", sep: "seperator", pad: "padding", cls: "cls", mask: "mask" };
  for (const [typ, key] of Object.entries(keyOf)) {
    const entry = tc[`${typ}_token`];
    const content = typeof entry === "string" ? entry : typeof entry?.content === "string" ? entry.content : undefined;
    let id = content === undefined ? undefined : added.find((a) => a.content === content)?.id;
    // config.json fills what tokenizer_config leaves open; a list (several EOS ids) is skipped, as upstream does.
    if (id === undefined && Number.isInteger(config[`${typ}_token_id`])) id = config[`${typ}_token_id`];
    if (id !== undefined && id >= 0 && id < vocabSize) metadata[`tokenizer.ggml.${key}_token_id`] = kv.u32(id);
  }
  Object.assign(metadata, addSpecialFlags(tj, tc));
  const template = chatTemplate(ckpt);
  if (typeof template === "string") metadata["tokenizer.chat_template"] = kv.str(template);
  else if (Array.isArray(template)) {
    for (const t of template) {
      const key = t.name === "default" ? "tokenizer.chat_template" : `tokenizer.chat_template.${t.name}`;
      metadata[key] = kv.str(t.template);
    }
    const named = template.filter((t) => t.name !== "default").map((t) => t.name);
    if (named.length) metadata["tokenizer.chat_templates"] = kv.strs(named);
  }
  return { tokens, types, pre, metadata };
}

/** add_bos/add_eos: tokenizer_config's flags, else what the post-processor template adds (Llama 3 adds BOS). */
function addSpecialFlags(tj: Record<string, any>, tc: Record<string, any>): Record<string, GgufValue> {
  const out: Record<string, GgufValue> = {};
  const bos = typeof tc.bos_token === "string" ? tc.bos_token : tc.bos_token?.content;
  const eos = typeof tc.eos_token === "string" ? tc.eos_token : tc.eos_token?.content;
  const pp = tj.post_processor;
  for (const p of pp?.type === "Sequence" ? pp.processors ?? [] : pp ? [pp] : []) {
    if (p?.type !== "TemplateProcessing" || !Array.isArray(p.single) || p.single.length < 2) continue;
    const first = p.single[0]?.SpecialToken?.id, last = p.single.at(-1)?.SpecialToken?.id;
    if (first) out["tokenizer.ggml.add_bos_token"] = kv.bool(first === bos);
    if (last) out["tokenizer.ggml.add_eos_token"] = kv.bool(last === eos);
  }
  if (typeof tc.add_bos_token === "boolean") out["tokenizer.ggml.add_bos_token"] = kv.bool(tc.add_bos_token);
  if (typeof tc.add_eos_token === "boolean") out["tokenizer.ggml.add_eos_token"] = kv.bool(tc.add_eos_token);
  return out;
}

function chatTemplate(ckpt: Checkpoint): string | { name: string; template: string }[] | undefined {
  const t = ckpt.tokenizerConfig.chat_template;
  if (typeof t === "string" || Array.isArray(t)) return t;
  return ckpt.chatTemplateFile ? readFileSync(ckpt.chatTemplateFile, "utf8") : undefined;
}
