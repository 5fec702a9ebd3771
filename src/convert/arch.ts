import { UserError } from "../errors.js";
import { kv, type GgufValue } from "../gguf/writer.js";
import { hparamMetadata } from "../gguf/hparams.js";
import type { Checkpoint } from "./checkpoint.js";

/** The checkpoints convert understands, by config.json `architectures[0]`. */
export const SUPPORTED_ARCHITECTURES = {
  Qwen2ForProcessRewardModel: { arch: "qwen2", prm: true },
  Qwen2ForCausalLM: { arch: "qwen2", prm: false },
  LlamaForCausalLM: { arch: "llama", prm: false },
} as const;
export type HfArchitecture = keyof typeof SUPPORTED_ARCHITECTURES;

/** Hyper-parameters read from config.json, with HF's defaults where a field may be absent. */
export interface HParams {
  hfArch: HfArchitecture;
  arch: "qwen2" | "llama";
  prm: boolean;
  nVocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  nFf: number;
  contextLength: number;
  ropeTheta: number;
  rmsEps: number;
  tied: boolean;
  /** Llama 3 rope scaling becomes a rope_freqs tensor (per-dimension divisors), as upstream does. */
  ropeFreqs?: Float32Array;
}

export function readHParams(ckpt: Checkpoint): HParams {
  const c = ckpt.config;
  const name = Array.isArray(c.architectures) ? c.architectures[0] : undefined;
  if (!(name in SUPPORTED_ARCHITECTURES)) {
    throw new UserError(`cannot convert architecture ${name ?? "(none in config.json)"}; supported: ${Object.keys(SUPPORTED_ARCHITECTURES).join(", ")}`);
  }
  const { arch, prm } = SUPPORTED_ARCHITECTURES[name as HfArchitecture];
  const num = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new UserError(`config.json lacks a numeric ${key}`);
    return v;
  };
  if ((c.hidden_act ?? "silu") !== "silu") throw new UserError(`config.json hidden_act ${c.hidden_act} is not supported (silu only)`);
  if (c.mlp_bias) throw new UserError("config.json mlp_bias=true is not supported");
  const nEmbd = num("hidden_size"), nHead = num("num_attention_heads");
  const hp: HParams = {
    hfArch: name as HfArchitecture, arch, prm,
    nVocab: num("vocab_size"), nEmbd, nLayer: num("num_hidden_layers"), nHead,
    nHeadKv: num("num_key_value_heads", nHead), headDim: num("head_dim", nEmbd / nHead),
    nFf: num("intermediate_size"), contextLength: num("max_position_embeddings"),
    ropeTheta: num("rope_theta", 10000), rmsEps: num("rms_norm_eps", 1e-6),
    tied: c.tie_word_embeddings === true,
  };
  const scaling = c.rope_scaling;
  const kind = scaling?.rope_type ?? scaling?.type;
  if (scaling && kind !== "default") {
    if (kind === "llama3" && arch === "llama") hp.ropeFreqs = llama3RopeFactors(hp, scaling);
    else if (kind !== "linear" && kind !== "yarn") throw new UserError(`rope_scaling type ${kind} is not supported (linear, yarn, llama3)`);
  }
  return hp;
}

/** Per-dimension frequency divisors of Llama 3.1's rope scaling (convert_hf_to_gguf's rope_freqs). */
function llama3RopeFactors(hp: HParams, s: Record<string, number>): Float32Array {
  const factor = s.factor ?? 8, low = s.low_freq_factor ?? 1, high = s.high_freq_factor ?? 4;
  const old = s.original_max_position_embeddings ?? 8192;
  const lowWavelen = old / low, highWavelen = old / high;
  const out = new Float32Array(hp.headDim / 2);
  for (let i = 0; i < out.length; i++) {
    const freq = 1 / hp.ropeTheta ** ((2 * i) / hp.headDim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = factor;
    else {
      const smooth = (old / wavelen - low) / (high - low);
      out[i] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return out;
}

/** `{arch}.*` hyper-parameters under llama.cpp's key names. */
export function archMetadata(hp: HParams, config: Record<string, any>): Record<string, GgufValue> {
  const a = hp.arch;
  const md: Record<string, GgufValue> = hparamMetadata(hp);
  if (config.head_dim !== undefined) {
    md[`${a}.attention.key_length`] = kv.u32(hp.headDim);
    md[`${a}.attention.value_length`] = kv.u32(hp.headDim);
  }
  if (a === "llama") {
    md[`${a}.vocab_size`] = kv.u32(hp.nVocab);
    md[`${a}.rope.dimension_count`] = kv.u32(hp.headDim);
  }
  const s = config.rope_scaling, kind = s?.rope_type ?? s?.type;
  if ((kind === "linear" || kind === "yarn") && s.factor !== undefined) {
    md[`${a}.rope.scaling.type`] = kv.str(kind);
    md[`${a}.rope.scaling.factor`] = kv.f32(s.factor);
    if (kind === "yarn") md[`${a}.rope.scaling.original_context_length`] = kv.u32(s.original_max_position_embeddings);
  }
  return md;
}

const LAYER_NAMES: Record<string, string> = {
  "input_layernorm.weight": "attn_norm.weight",
  "self_attn.q_proj.weight": "attn_q.weight",
  "self_attn.q_proj.bias": "attn_q.bias",
  "self_attn.k_proj.weight": "attn_k.weight",
  "self_attn.k_proj.bias": "attn_k.bias",
  "self_attn.v_proj.weight": "attn_v.weight",
  "self_attn.v_proj.bias": "attn_v.bias",
  "self_attn.o_proj.weight": "attn_output.weight",
  "self_attn.o_proj.bias": "attn_output.bias",
  "post_attention_layernorm.weight": "ffn_norm.weight",
  "mlp.gate_proj.weight": "ffn_gate.weight",
  "mlp.up_proj.weight": "ffn_up.weight",
  "mlp.down_proj.weight": "ffn_down.weight",
};
const TOP_NAMES: Record<string, string> = {
  "model.embed_tokens.weight": "token_embd.weight",
  "model.norm.weight": "output_norm.weight",
  "lm_head.weight": "output.weight",
};

/** llama.cpp's name for an HF tensor; null for tensors convert drops; undefined when unknown. */
export function ggufName(hf: string): string | null | undefined {
  if (hf.endsWith("rotary_emb.inv_freq")) return null; // recomputed by llama.cpp
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  if (m) return LAYER_NAMES[m[2]] ? `blk.${m[1]}.${LAYER_NAMES[m[2]]}` : undefined;
  return TOP_NAMES[hf];
}

/** The HF [rows][cols] shape each GGUF tensor must have, from the config (catches mismatched checkpoints). */
export function expectedShape(hp: HParams, name: string): number[] | undefined {
  const q = hp.nHead * hp.headDim, kvDim = hp.nHeadKv * hp.headDim;
  const table: Record<string, number[]> = {
    "token_embd.weight": [hp.nVocab, hp.nEmbd], "output.weight": [hp.nVocab, hp.nEmbd], "output_norm.weight": [hp.nEmbd],
    "attn_norm.weight": [hp.nEmbd], "ffn_norm.weight": [hp.nEmbd],
    "attn_q.weight": [q, hp.nEmbd], "attn_k.weight": [kvDim, hp.nEmbd], "attn_v.weight": [kvDim, hp.nEmbd],
    "attn_q.bias": [q], "attn_k.bias": [kvDim], "attn_v.bias": [kvDim],
    "attn_output.weight": [hp.nEmbd, q], "attn_output.bias": [hp.nEmbd],
    "ffn_gate.weight": [hp.nFf, hp.nEmbd], "ffn_up.weight": [hp.nFf, hp.nEmbd], "ffn_down.weight": [hp.nEmbd, hp.nFf],
  };
  return table[name.replace(/^blk\.\d+\./, "")];
}

/**
 * llama.cpp's LLAMA graph applies RoPE to adjacent pairs (NORM), HF Llama to halves (NEOX), so
 * q/k rows are reordered per head as convert_hf_to_gguf.py's `permute` does: within each head of
 * `hd` rows, output row 2i+j takes input row j·hd/2+i. Qwen2 uses NEOX in llama.cpp: no permutation.
 */
export function permuteSourceRow(row: number, headDim: number): number {
  const h = Math.floor(row / headDim), r = row % headDim, i = r >> 1, j = r & 1;
  return h * headDim + j * (headDim / 2) + i;
}
