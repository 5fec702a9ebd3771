import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { GgmlType, TokenType } from "./constants.js";
import { encodeTensor } from "./quant.js";
import { hparamMetadata } from "./hparams.js";
import { kv, writeGguf, type GgufTensorSpec, type GgufValue } from "./writer.js";
import { trainBpe } from "../tokenizer/bpe.js";
import { mulberry32, normalSampler } from "../util/random.js";
import { projectRoot } from "../util/version.js";

/** ChatML, as Qwen2.5 instruct models render it (without the tool-calling branches). */
export const CHATML_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

export const SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<extra_0>"] as const;

export interface TinyModelOptions {
  arch?: "qwen2" | "llama";
  nEmbd?: number;
  nLayer?: number;
  nHead?: number;
  nHeadKv?: number;
  nFf?: number;
  contextLength?: number;
  numMerges?: number;
  seed?: number;
  /** Weight scale: larger gives peakier, less uniform next-token distributions. */
  scale?: number;
  type?: GgmlType;
  chatTemplate?: string | null;
  /** Extra text the BPE merges are learned from (besides the shipped prompts). */
  corpus?: string;
  /** Pad the vocabulary with unused tokens up to this size (a PRM head needs vocab > H). */
  minVocab?: number;
  /** Extra metadata and tensors (e.g. a PRM head). */
  extraMetadata?: Record<string, GgufValue>;
}

export interface TinyModel {
  options: Required<Omit<TinyModelOptions, "extraMetadata" | "corpus" | "chatTemplate">> & { chatTemplate: string | null };
  tokens: string[];
  merges: string[];
  tokenTypes: number[];
  specialIds: Record<(typeof SPECIAL_TOKENS)[number], number>;
  /** Weights by GGUF tensor name, row-major as HF stores them ([out][in]). */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  metadata: Record<string, GgufValue>;
}

const BASE_CORPUS_FILES = ["generator-system-prompt.txt", "qwen-prm-system-prompt.txt"];
const MATH_CORPUS =
  "Step 1: We compute the sum. The answer is \\boxed{42}. Therefore, the final answer is: $\\boxed{7}$. " +
  "Let x be the number of apples. Then 3x + 5 = 20, so x = 5. The total cost is 12 dollars. " +
  "## Step 2: Multiply both sides. Each box holds 6 eggs, so there are 4 boxes in total.\n\n";

/**
 * Build a small random-weight model (Qwen2 or Llama architecture, byte-level BPE vocabulary,
 * ChatML specials incl. `<extra_0>`) in memory. Deterministic in `seed`.
 */
export function makeTinyModel(opts: TinyModelOptions = {}): TinyModel {
  const o = {
    arch: opts.arch ?? "qwen2",
    nEmbd: opts.nEmbd ?? 64,
    nLayer: opts.nLayer ?? 2,
    nHead: opts.nHead ?? 4,
    nHeadKv: opts.nHeadKv ?? 2,
    nFf: opts.nFf ?? 128,
    contextLength: opts.contextLength ?? 4096,
    numMerges: opts.numMerges ?? 200,
    seed: opts.seed ?? 1,
    scale: opts.scale ?? 0.3,
    type: opts.type ?? GgmlType.F32,
    chatTemplate: opts.chatTemplate === undefined ? CHATML_TEMPLATE : opts.chatTemplate,
    minVocab: opts.minVocab ?? 0,
  };
  const corpus = BASE_CORPUS_FILES.map((f) => readFileSync(resolve(projectRoot, "assets", f), "utf8")).join("\n\n") + MATH_CORPUS + (opts.corpus ?? "");
  const bpe = trainBpe(corpus, o.numMerges);
  const tokens = [...bpe.tokens];
  const tokenTypes = tokens.map(() => TokenType.NORMAL);
  const specialIds = {} as TinyModel["specialIds"];
  for (const s of SPECIAL_TOKENS) {
    specialIds[s] = tokens.length;
    tokens.push(s);
    tokenTypes.push(TokenType.CONTROL);
  }
  // Round the vocabulary up to a multiple of 32 so every tensor fills quantization blocks.
  while (tokens.length % 32 || tokens.length < o.minVocab) {
    tokens.push(`[PAD${tokens.length}]`);
    tokenTypes.push(TokenType.UNUSED);
  }
  const nVocab = tokens.length;
  const rand = normalSampler(mulberry32(o.seed));
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of tensorLayout(o, nVocab)) {
    const data = new Float32Array(t.rows * t.cols);
    // Embeddings enter the network directly, so they are not scaled by 1/sqrt(fan-in).
    const std = t.init === "embed" ? o.scale : o.scale / Math.sqrt(t.cols);
    for (let i = 0; i < data.length; i++) {
      const z = rand();
      data[i] = t.init === "norm" ? 1 + 0.1 * z : t.init === "bias" ? 0.1 * z : std * z;
    }
    weights.set(t.name, { shape: t.rows === 1 ? [t.cols] : [t.rows, t.cols], data });
  }
  const metadata: Record<string, GgufValue> = {
    ...architectureMetadata(o),
    "general.name": kv.str(`prm-rel tiny ${o.arch} seed ${o.seed}`),
    ...tokenizerMetadata(o.arch, tokens, tokenTypes, bpe.merges, specialIds, o.chatTemplate),
    ...opts.extraMetadata,
  };
  return { options: o, tokens, merges: bpe.merges, tokenTypes, specialIds, weights, metadata };
}

/** 1-D tensors (norms, biases) stay F32, as llama.cpp's converter keeps them. */
export function tensorTypeFor(shape: readonly number[], type: GgmlType): GgmlType {
  return shape.length === 1 ? GgmlType.F32 : type;
}

/** Write a tiny model (or one whose weights were edited) as GGUF. */
export async function writeTinyModel(path: string, model: TinyModel): Promise<void> {
  const entries = [...model.weights];
  const specs: GgufTensorSpec[] = entries.map(([name, w]) => ({
    name,
    // GGUF dims are ne0-first: HF [out][in] becomes [in, out].
    shape: [...w.shape].reverse(),
    type: tensorTypeFor(w.shape, model.options.type),
  }));
  await writeGguf(path, model.metadata, specs, (i) => encodeTensor(entries[i][1].data, specs[i].type));
}

export type ModelShape = Pick<TinyModel["options"], "arch" | "nEmbd" | "nLayer" | "nHead" | "nHeadKv" | "nFf" | "contextLength" | "type">;

/** Every tensor of a qwen2/llama model: GGUF name, HF-order [rows][cols], and how to initialise it. */
export function tensorLayout(o: ModelShape, nVocab: number): { name: string; rows: number; cols: number; init: "embed" | "normal" | "norm" | "bias" }[] {
  const kvDim = (o.nHeadKv * o.nEmbd) / o.nHead;
  const out: { name: string; rows: number; cols: number; init: "embed" | "normal" | "norm" | "bias" }[] = [];
  const add = (name: string, rows: number, cols: number, init: "embed" | "normal" | "norm" | "bias") => out.push({ name, rows, cols, init });
  add("token_embd.weight", nVocab, o.nEmbd, "embed");
  for (let l = 0; l < o.nLayer; l++) {
    const p = `blk.${l}.`;
    add(p + "attn_norm.weight", 1, o.nEmbd, "norm");
    add(p + "attn_q.weight", o.nEmbd, o.nEmbd, "normal");
    add(p + "attn_k.weight", kvDim, o.nEmbd, "normal");
    add(p + "attn_v.weight", kvDim, o.nEmbd, "normal");
    if (o.arch === "qwen2") {
      add(p + "attn_q.bias", 1, o.nEmbd, "bias");
      add(p + "attn_k.bias", 1, kvDim, "bias");
      add(p + "attn_v.bias", 1, kvDim, "bias");
    }
    add(p + "attn_output.weight", o.nEmbd, o.nEmbd, "normal");
    add(p + "ffn_norm.weight", 1, o.nEmbd, "norm");
    add(p + "ffn_gate.weight", o.nFf, o.nEmbd, "normal");
    add(p + "ffn_up.weight", o.nFf, o.nEmbd, "normal");
    add(p + "ffn_down.weight", o.nEmbd, o.nFf, "normal");
  }
  add("output_norm.weight", 1, o.nEmbd, "norm");
  add("output.weight", nVocab, o.nEmbd, "normal");
  return out;
}

/** Hyper-parameters under the architecture's prefix, as llama.cpp reads them. */
export function architectureMetadata(o: ModelShape): Record<string, GgufValue> {
  return {
    "general.architecture": kv.str(o.arch),
    "general.file_type": kv.u32(o.type === GgmlType.F32 ? 0 : o.type === GgmlType.F16 ? 1 : o.type === GgmlType.Q8_0 ? 7 : 2),
    ...hparamMetadata({ ...o, ropeTheta: 10000, rmsEps: 1e-6 }),
  };
}

/** A byte-level BPE vocabulary with ChatML specials, as `tokenizer.ggml.*` entries. */
export function tokenizerMetadata(
  arch: "qwen2" | "llama",
  tokens: readonly string[],
  tokenTypes: readonly number[],
  merges: readonly string[],
  specialIds: Record<(typeof SPECIAL_TOKENS)[number], number>,
  chatTemplate: string | null,
): Record<string, GgufValue> {
  return {
    "tokenizer.ggml.model": kv.str("gpt2"),
    "tokenizer.ggml.pre": kv.str(arch === "qwen2" ? "qwen2" : "llama-bpe"),
    "tokenizer.ggml.tokens": kv.strs(tokens),
    "tokenizer.ggml.token_type": kv.i32s(tokenTypes),
    "tokenizer.ggml.merges": kv.strs(merges),
    "tokenizer.ggml.bos_token_id": kv.u32(specialIds["<|endoftext|>"]),
    "tokenizer.ggml.eos_token_id": kv.u32(specialIds["<|im_end|>"]),
    "tokenizer.ggml.padding_token_id": kv.u32(specialIds["<|endoftext|>"]),
    "tokenizer.ggml.add_bos_token": kv.bool(false),
    ...(chatTemplate ? { "tokenizer.chat_template": kv.str(chatTemplate) } : {}),
  };
}
