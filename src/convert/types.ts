import { GgmlType, ggmlBlock } from "../gguf/constants.js";

/** Output types of `prm-rel convert --outtype` (f32 is there for reference files and tests). */
export const OUT_TYPES = ["f16", "q8_0", "q4_0", "q4_k_m", "f32"] as const;
export type OutType = (typeof OUT_TYPES)[number];

/** llama_ftype numbers for general.file_type. */
export const FILE_TYPE: Record<OutType, number> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7, q4_k_m: 15 };
export const OUT_TYPE_LABEL: Record<OutType, string> = { f32: "F32", f16: "F16", q4_0: "Q4_0", q8_0: "Q8_0", q4_k_m: "Q4_K_M" };

export interface TypeContext {
  outtype: OutType;
  nLayer: number;
  /** llama.cpp gives 80-layer qwen2 models, and 80-layer GQA llama models, its 70B treatment. */
  is70B: boolean;
  /** No output.weight: llama.cpp then quantizes token_embd like the output tensor. */
  tied: boolean;
  /** A PRM's output.weight carries the head's first layer: keep it at Q8_0 or wider. */
  prm: boolean;
}

/** llama-quantize's use_more_bits: the first and last eighth of the layers and every third between. */
function useMoreBits(i: number, n: number): boolean {
  const e = Math.trunc(n / 8);
  return i < e || i >= Math.trunc((7 * n) / 8) || (i - e) % 3 === 2;
}

/** llama-quantize's tensor_type_fallback: a narrower block when the row length does not fit. */
function fallback(type: GgmlType, ncols: number): GgmlType {
  if (ncols % ggmlBlock[type].size === 0) return type;
  const next: Partial<Record<GgmlType, GgmlType>> = { [GgmlType.Q4_K]: GgmlType.Q5_0, [GgmlType.Q5_K]: GgmlType.Q5_1, [GgmlType.Q6_K]: GgmlType.Q8_0 };
  const t = next[type] ?? type;
  return ncols % ggmlBlock[t].size === 0 ? t : GgmlType.F16;
}

/**
 * The ggml type of one tensor (GGUF name, ne0-first shape). 1-D tensors and norms stay F32.
 * f16 / q8_0 / f32 are uniform, as convert_hf_to_gguf.py writes them. q4_0 and q4_k_m reproduce
 * llama-quantize's choices for those ftypes without an importance matrix (llama_tensor_get_type):
 * output.weight Q6_K; for Q4_K_M also attn_v and ffn_down Q6_K in the use_more_bits layers,
 * attn_v Q5_K in 70B models, Q4_K elsewhere; then the row-length fallbacks.
 * Exception (documented): a PRM's output.weight is Q8_0 in every quantized output, F16 in f16.
 */
export function tensorType(name: string, shape: readonly number[], ctx: TypeContext): GgmlType {
  const ncols = shape[0];
  if (shape.length < 2 || !name.endsWith(".weight") || name.endsWith("_norm.weight")) return GgmlType.F32;
  const { outtype } = ctx;
  if (outtype === "f32") return GgmlType.F32;
  if (outtype === "f16") return GgmlType.F16;
  if (name === "output.weight" && ctx.prm) return ncols % 32 === 0 ? GgmlType.Q8_0 : GgmlType.F16;
  if (outtype === "q8_0") return ncols % 32 === 0 ? GgmlType.Q8_0 : GgmlType.F16;
  const base = outtype === "q4_0" ? GgmlType.Q4_0 : GgmlType.Q4_K;
  let type = base;
  const layer = Number(/^blk\.(\d+)\./.exec(name)?.[1] ?? -1);
  if (name === "output.weight" || (ctx.tied && name === "token_embd.weight")) {
    type = ncols % ggmlBlock[base].size !== 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
  } else if (outtype === "q4_k_m" && name.endsWith("attn_v.weight")) {
    if (useMoreBits(layer, ctx.nLayer)) type = GgmlType.Q6_K;
    else if (ctx.is70B) type = GgmlType.Q5_K;
  } else if (outtype === "q4_k_m" && name.endsWith("ffn_down.weight")) {
    if (useMoreBits(layer, ctx.nLayer)) type = GgmlType.Q6_K;
  }
  return fallback(type, ncols);
}

/**
 * llama.cpp's tensor order in a quantized file (weight_name_comparer): by layer (non-layer
 * tensors first), then by name. Writing in this order makes files comparable with llama-quantize's.
 */
export function compareTensorNames(a: string, b: string): number {
  const la = Number(/^blk\.(\d+)\./.exec(a)?.[1] ?? -1), lb = Number(/^blk\.(\d+)\./.exec(b)?.[1] ?? -1);
  return la !== lb ? la - lb : a < b ? -1 : a > b ? 1 : 0;
}
