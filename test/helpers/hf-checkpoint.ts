import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CHATML_TEMPLATE } from "../../src/gguf/tiny.js";
import { byteToUnicode } from "../../src/tokenizer/bytes.js";
import { trainBpe } from "../../src/tokenizer/bpe.js";
import { PRE_TOKENIZERS } from "../../src/convert/tokenizer.js";
import { mulberry32, normalSampler } from "../../src/util/random.js";

/**
 * Tiny Hugging Face checkpoints written the way transformers saves them: config.json, safetensors
 * shards (+ model.safetensors.index.json), tokenizer.json, tokenizer_config.json with a chat
 * template. Random weights, deterministic in the seed; bf16 values are rounded before they are
 * returned, so `weights` are exactly what the files hold (the "original weights" for references).
 */
export type HfKind = "qwen2-prm" | "qwen2" | "llama";

export interface HfCheckpointOptions {
  kind: HfKind;
  hidden?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  ff?: number;
  dtype?: "bf16" | "f32";
  /** 1 writes model.safetensors without an index. */
  shards?: number;
  tie?: boolean;
  seed?: number;
  scale?: number;
  /** Extra unused ids in config.vocab_size beyond the tokenizer (real models pad the vocabulary). */
  vocabPad?: number;
  ropeScaling?: Record<string, unknown>;
  numMerges?: number;
}

export interface HfCheckpoint {
  dir: string;
  config: Record<string, any>;
  tokenizer: Record<string, any>;
  /** HF names → row-major values ([out][in]); 1-D tensors have shape [n]. */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  ids: Record<string, number>;
}

export const LLAMA3_TEMPLATE =
  "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] + '<|eot_id|>' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

const CORPUS =
  "Step 1: We compute the sum. The answer is \\boxed{42}. Therefore, the final answer is: $\\boxed{7}$. " +
  "Let x be the number of apples. Then 3x + 5 = 20, so x = 5. The total cost is 12 dollars. I'm sure it's right. " +
  "## Step 2: Multiply both sides. Each box holds 6 eggs, so there are 4 boxes in total.\n\n Solve the equation for y. ";

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
/** Round to bf16 (nearest even), as torch does when a checkpoint is saved in bfloat16. */
function toBf16Bits(v: number): number {
  f32[0] = v;
  const u = u32[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
function fromBf16Bits(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

function buildTokenizer(kind: HfKind, numMerges: number) {
  const bpe = trainBpe(CORPUS, numMerges);
  const vocab: Record<string, number> = {};
  bpe.tokens.forEach((t, i) => (vocab[t] = i));
  const merges = [...bpe.merges];
  // Digit merges make the two pre-tokenizers disagree ("123": one piece for Llama 3, three for Qwen2).
  for (const [a, b] of [["1", "2"], ["12", "3"], ["2", "0"], ["4", "2"]]) {
    if (vocab[a + b] !== undefined) continue;
    merges.push(`${a} ${b}`);
    vocab[a + b] = Object.keys(vocab).length;
  }
  const specials = kind === "llama"
    ? ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    : ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<extra_0>"];
  let next = Object.keys(vocab).length;
  const added = specials.map((content) => ({ id: next++, content, special: true }));
  added.push({ id: next++, content: kind === "llama" ? "<step>" : "<tool_call>", special: false });
  const ids = Object.fromEntries(added.map((a) => [a.content, a.id]));
  const tokenizer = {
    version: "1.0",
    added_tokens: added.map((a) => ({ ...a, single_word: false, lstrip: false, rstrip: false, normalized: false })),
    normalizer: kind === "llama" ? null : { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: PRE_TOKENIZERS[kind === "llama" ? "llama-bpe" : "qwen2"] }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: kind === "llama"
      ? { type: "TemplateProcessing", single: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }], pair: [], special_tokens: {} }
      : { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    // Llama 3 stores merges as pairs (the newer format) and skips BPE for whole-vocab words.
    model: { type: "BPE", ignore_merges: kind === "llama", vocab, merges: kind === "llama" ? merges.map((m) => m.split(" ")) : merges },
  };
  const tokenizerConfig = kind === "llama"
    ? { bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>", chat_template: LLAMA3_TEMPLATE, tokenizer_class: "PreTrainedTokenizerFast" }
    : { add_bos_token: false, bos_token: null, eos_token: "<|im_end|>", pad_token: "<|endoftext|>", chat_template: CHATML_TEMPLATE, tokenizer_class: "Qwen2Tokenizer" };
  return { tokenizer, tokenizerConfig, ids, size: next };
}

export function writeHfCheckpoint(dir: string, opts: HfCheckpointOptions): HfCheckpoint {
  const o = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, ff: 128, dtype: "bf16", shards: 2, tie: false, seed: 1, scale: 0.5, vocabPad: 37, numMerges: 150, ...opts };
  const { tokenizer, tokenizerConfig, ids, size } = buildTokenizer(o.kind, o.numMerges);
  const vocabSize = size + o.vocabPad;
  const headDim = o.hidden / o.heads, kvDim = o.kvHeads * headDim;
  const rand = normalSampler(mulberry32(o.seed));
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  const add = (name: string, shape: number[], init: "embed" | "linear" | "norm" | "bias", gain = 1) => {
    const n = shape.reduce((a, b) => a * b, 1), cols = shape.at(-1)!;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const z = rand();
      let v = init === "norm" ? 1 + 0.1 * z : init === "bias" ? 0.1 * z : init === "embed" ? o.scale * z : (gain * o.scale * z) / Math.sqrt(cols);
      if (o.dtype === "bf16") v = fromBf16Bits(toBf16Bits(v));
      data[i] = v;
    }
    weights.set(name, { shape, data });
  };
  const qwen = o.kind !== "llama";
  add("model.embed_tokens.weight", [vocabSize, o.hidden], "embed");
  for (let l = 0; l < o.layers; l++) {
    const p = `model.layers.${l}.`;
    add(p + "input_layernorm.weight", [o.hidden], "norm");
    add(p + "self_attn.q_proj.weight", [o.hidden, o.hidden], "linear", 2);
    add(p + "self_attn.k_proj.weight", [kvDim, o.hidden], "linear", 2);
    add(p + "self_attn.v_proj.weight", [kvDim, o.hidden], "linear");
    if (qwen) for (const [t, n] of [["q", o.hidden], ["k", kvDim], ["v", kvDim]] as const) add(p + `self_attn.${t}_proj.bias`, [n], "bias");
    add(p + "self_attn.o_proj.weight", [o.hidden, o.hidden], "linear");
    add(p + "post_attention_layernorm.weight", [o.hidden], "norm");
    add(p + "mlp.gate_proj.weight", [o.ff, o.hidden], "linear");
    add(p + "mlp.up_proj.weight", [o.ff, o.hidden], "linear");
    add(p + "mlp.down_proj.weight", [o.hidden, o.ff], "linear");
  }
  add("model.norm.weight", [o.hidden], "norm");
  if (o.kind === "qwen2-prm") {
    add("score.0.weight", [o.hidden, o.hidden], "linear", 2);
    add("score.0.bias", [o.hidden], "bias");
    add("score.2.weight", [2, o.hidden], "linear", 8);
    add("score.2.bias", [2], "bias");
  } else if (!o.tie) add("lm_head.weight", [vocabSize, o.hidden], "linear", 4);

  const config: Record<string, any> = {
    architectures: [o.kind === "qwen2-prm" ? "Qwen2ForProcessRewardModel" : qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"],
    model_type: qwen ? "qwen2" : "llama",
    hidden_size: o.hidden, intermediate_size: o.ff, num_hidden_layers: o.layers,
    num_attention_heads: o.heads, num_key_value_heads: o.kvHeads, hidden_act: "silu",
    max_position_embeddings: 4096, rope_theta: qwen ? 10000 : 500000, rms_norm_eps: qwen ? 1e-6 : 1e-5,
    vocab_size: vocabSize, tie_word_embeddings: o.tie, torch_dtype: o.dtype === "bf16" ? "bfloat16" : "float32",
    bos_token_id: qwen ? ids["<|endoftext|>"] : ids["<|begin_of_text|>"],
    eos_token_id: qwen ? ids["<|im_end|>"] : [ids["<|end_of_text|>"], ids["<|eot_id|>"]],
    ...(o.ropeScaling ? { rope_scaling: o.ropeScaling } : {}),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(tokenizerConfig, null, 2));
  writeShards(dir, weights, o.shards, o.dtype as "bf16" | "f32");
  return { dir, config, tokenizer, weights, ids };
}

/** Split tensors over `shards` files in order and write them (+ the index when sharded). */
function writeShards(dir: string, weights: HfCheckpoint["weights"], shards: number, dtype: "bf16" | "f32") {
  const names = [...weights.keys()];
  const per = Math.ceil(names.length / shards);
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let s = 0; s < shards; s++) {
    const file = shards === 1 ? "model.safetensors" : `model-${String(s + 1).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.safetensors`;
    const part = names.slice(s * per, (s + 1) * per);
    writeFileSync(join(dir, file), safetensorsBytes(part.map((n) => [n, weights.get(n)!]), dtype));
    for (const n of part) { weightMap[n] = file; total += weights.get(n)!.data.length * (dtype === "bf16" ? 2 : 4); }
  }
  if (shards > 1) writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
}

/** One safetensors file: u64 header length, JSON header (padded with spaces to 8 bytes), data. */
export function safetensorsBytes(tensors: [string, { shape: number[]; data: Float32Array }][], dtype: "bf16" | "f32"): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const blob = dtype === "f32"
      ? Buffer.from(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength))
      : Buffer.from(Uint16Array.from(t.data, toBf16Bits).buffer);
    header[name] = { dtype: dtype === "f32" ? "F32" : "BF16", shape: t.shape, data_offsets: [offset, offset + blob.length] };
    blobs.push(blob);
    offset += blob.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json), ...blobs]);
}

/** The byte-level spelling of text (re-exported for tests that build expectations). */
export const byteLevel = (s: string) => [...Buffer.from(s, "utf8")].map((b) => byteToUnicode[b]).join("");
