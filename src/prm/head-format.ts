import { kv, type GgufValue } from "../gguf/writer.js";

/**
 * How a Qwen2.5-Math-PRM classifier head travels inside a GGUF that llama.cpp loads as an ordinary
 * qwen2 LM ("the head's first layer is the logits"):
 *
 * - `output.weight` (the LM head, vocab × H) holds W1 (H × H, `score.0.weight`) in rows 0…H−1 and
 *   zeros in every other row; row H is the zero *reference* row. Its logit is exactly 0, so
 *   W1·h = T·(ln p_j − ln p_H) for any temperature T, read from the next-token distribution.
 * - b1 (`score.0.bias`), W2 (`score.2.weight`, 2 × H, row-major) and b2 (`score.2.bias`) are
 *   GGUF metadata arrays under `prm_rel.head.*`; ReLU, W2, b2 and the 2-way softmax run in JS.
 * - `prm_rel.family = "qwen-prm-head"` and `prm_rel.head.step_token` name the family and the step
 *   separator token (`<extra_0>`).
 */
export const PRM_FAMILY_KEY = "prm_rel.family";
export const HEAD_KEYS = {
  hidden: "prm_rel.head.hidden_size",
  stepToken: "prm_rel.head.step_token",
  b1: "prm_rel.head.b1",
  w2: "prm_rel.head.w2",
  b2: "prm_rel.head.b2",
} as const;

export interface QwenHead {
  hidden: number;
  stepToken: string;
  /** H × H, row-major ([out][in]) as HF stores `score.0.weight`. */
  w1: Float32Array;
  b1: Float32Array;
  /** 2 × H, row-major. */
  w2: Float32Array;
  b2: Float32Array;
}

/** Metadata entries that carry the head's small layers. */
export function headMetadata(head: Omit<QwenHead, "w1">): Record<string, GgufValue> {
  return {
    [PRM_FAMILY_KEY]: kv.str("qwen-prm-head"),
    [HEAD_KEYS.hidden]: kv.u32(head.hidden),
    [HEAD_KEYS.stepToken]: kv.str(head.stepToken),
    [HEAD_KEYS.b1]: kv.f32s([...head.b1]),
    [HEAD_KEYS.w2]: kv.f32s([...head.w2]),
    [HEAD_KEYS.b2]: kv.f32s([...head.b2]),
  };
}

/**
 * The LM-head matrix (vocab × H, row-major) that carries W1: rows 0…H−1 = W1, the rest zero.
 * Needs vocab ≥ H + 1 so row H can serve as the zero reference.
 */
export function headOutputMatrix(w1: Float32Array, hidden: number, vocab: number): Float32Array {
  if (vocab < hidden + 1) throw new Error(`vocabulary (${vocab}) must exceed the hidden size (${hidden}) to carry the PRM head`);
  const out = new Float32Array(vocab * hidden);
  out.set(w1.subarray(0, hidden * hidden), 0);
  return out;
}

/** Read the head's small layers back from parsed GGUF metadata (node-llama-cpp's nested object). */
export function readHeadMetadata(metadata: any): Omit<QwenHead, "w1"> | undefined {
  const head = metadata?.prm_rel?.head;
  if (!head || metadata?.prm_rel?.family !== "qwen-prm-head") return undefined;
  return {
    hidden: Number(head.hidden_size),
    stepToken: String(head.step_token),
    b1: Float32Array.from(head.b1),
    w2: Float32Array.from(head.w2),
    b2: Float32Array.from(head.b2),
  };
}
