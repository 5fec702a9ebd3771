import { kv, type GgufValue } from "./writer.js";

export interface ArchHParams {
  arch: "qwen2" | "llama";
  contextLength: number;
  nEmbd: number;
  nLayer: number;
  nFf: number;
  nHead: number;
  nHeadKv: number;
  ropeTheta: number;
  rmsEps: number;
}

/**
 * The hyper-parameters every qwen2/llama GGUF carries, under llama.cpp's `{arch}.*` key names.
 * @example hparamMetadata({ arch: "qwen2", contextLength: 4096, nEmbd: 64, nLayer: 2, nFf: 128, nHead: 4, nHeadKv: 2, ropeTheta: 1e4, rmsEps: 1e-6 })["qwen2.block_count"] // { type: 4, value: 2 }
 */
export function hparamMetadata(p: ArchHParams): Record<string, GgufValue> {
  const a = p.arch;
  return {
    [`${a}.context_length`]: kv.u32(p.contextLength),
    [`${a}.embedding_length`]: kv.u32(p.nEmbd),
    [`${a}.block_count`]: kv.u32(p.nLayer),
    [`${a}.feed_forward_length`]: kv.u32(p.nFf),
    [`${a}.attention.head_count`]: kv.u32(p.nHead),
    [`${a}.attention.head_count_kv`]: kv.u32(p.nHeadKv),
    [`${a}.rope.freq_base`]: kv.f32(p.ropeTheta),
    [`${a}.attention.layer_norm_rms_epsilon`]: kv.f32(p.rmsEps),
  };
}
