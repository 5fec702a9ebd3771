import { UserError } from "../errors.js";
import { headMetadata } from "../prm/head-format.js";
import type { GgufValue } from "../gguf/writer.js";
import { expectedShape, ggufName, permuteSourceRow, type HParams } from "./arch.js";
import type { Checkpoint } from "./checkpoint.js";
import { readRows, type FdCache, type TensorSource } from "./safetensors.js";

/** The step separator a Qwen2.5-Math-PRM scores at (id 151651 in the real vocabulary). */
export const PRM_STEP_TOKEN = "<extra_0>";

/**
 * One output tensor: its GGUF name, HF shape viewed as [rows][cols] (1-D: one row), and how to
 * produce rows [r0, r1) as float32 — a plain read, a permuted read, or generated values.
 */
export interface PlannedTensor {
  name: string;
  /** ne0-first, as GGUF stores dims. */
  shape: number[];
  rows: number;
  cols: number;
  read(r0: number, r1: number, fds: FdCache): Float32Array;
}

function plain(name: string, src: TensorSource): PlannedTensor {
  const rows = src.shape.length === 1 ? 1 : src.shape[0];
  const cols = src.shape.length === 1 ? src.shape[0] : src.shape[1];
  return { name, shape: [...src.shape].reverse(), rows, cols, read: (r0, r1, fds) => readRows(src, cols, r0, r1, fds) };
}

/** Llama q/k (weights and biases) with rows reordered per head for llama.cpp's NORM rope. */
function permuted(name: string, src: TensorSource, headDim: number): PlannedTensor {
  const base = plain(name, src);
  if (src.shape.length === 1) {
    // A bias: read it whole and reorder its elements like rows of width 1.
    return { ...base, read: (_r0, _r1, fds) => { const b = readRows(src, base.cols, 0, 1, fds); return b.map((_, i) => b[permuteSourceRow(i, headDim)]); } };
  }
  return {
    ...base,
    read(r0, r1, fds) {
      // The permutation stays inside a head, so reading the heads that cover [r0, r1) suffices.
      const h0 = Math.floor(r0 / headDim) * headDim, h1 = Math.ceil(r1 / headDim) * headDim;
      const block = readRows(src, base.cols, h0, h1, fds);
      const out = new Float32Array((r1 - r0) * base.cols);
      for (let r = r0; r < r1; r++) {
        const s = permuteSourceRow(r, headDim) - h0;
        out.set(block.subarray(s * base.cols, (s + 1) * base.cols), (r - r0) * base.cols);
      }
      return out;
    },
  };
}

/**
 * The PRM's output.weight, in the form src/prm/head-format.ts defines (`headOutputMatrix`): W1
 * (score.0.weight, H×H) in rows 0…H−1 and zeros in the other rows up to the vocabulary size —
 * produced row range by row range so the vocab×H matrix never exists in memory at once.
 */
function headOutput(w1: TensorSource, hp: HParams): PlannedTensor {
  const H = hp.nEmbd;
  return {
    name: "output.weight", shape: [H, hp.nVocab], rows: hp.nVocab, cols: H,
    read(r0, r1, fds) {
      const out = new Float32Array((r1 - r0) * H);
      if (r0 < H) out.set(readRows(w1, H, r0, Math.min(r1, H), fds));
      return out;
    },
  };
}

function generated(name: string, values: Float32Array): PlannedTensor {
  return { name, shape: [values.length], rows: 1, cols: values.length, read: () => values.slice() };
}

/**
 * Map every checkpoint tensor to its GGUF tensor, check names and shapes against the config, and
 * collect the PRM head's small layers as metadata. Throws one clear UserError on anything unexpected.
 */
export function planTensors(ckpt: Checkpoint, hp: HParams, fds: FdCache): { tensors: PlannedTensor[]; metadata: Record<string, GgufValue> } {
  const out: PlannedTensor[] = [];
  const metadata: Record<string, GgufValue> = {};
  const head = new Map<string, TensorSource>();
  for (const [hf, src] of ckpt.tensors) {
    if (hp.prm && /^score\.[02]\.(weight|bias)$/.test(hf)) { head.set(hf, src); continue; }
    // A PRM's unused LM head (some exports keep one) and a tied model's duplicate are dropped.
    if (hf === "lm_head.weight" && (hp.prm || hp.tied)) continue;
    const name = ggufName(hf);
    if (name === null) continue;
    if (name === undefined) throw new UserError(`unexpected tensor ${hf} in a ${hp.hfArch} checkpoint`);
    const want = expectedShape(hp, name);
    if (want && want.join() !== src.shape.join()) {
      throw new UserError(`tensor ${hf} has shape [${src.shape}], config.json implies [${want}]`);
    }
    const layer = /^blk\.(\d+)\./.exec(name);
    if (layer && Number(layer[1]) >= hp.nLayer) throw new UserError(`tensor ${hf} is beyond num_hidden_layers=${hp.nLayer}`);
    const rope = hp.arch === "llama" && /attn_[qk]\.(weight|bias)$/.test(name);
    out.push(rope ? permuted(name, src, hp.headDim) : plain(name, src));
  }
  const names = new Set(out.map((t) => t.name));
  const required = ["token_embd.weight", "output_norm.weight"];
  for (let l = 0; l < hp.nLayer; l++) {
    for (const t of ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"]) required.push(`blk.${l}.${t}.weight`);
    if (hp.arch === "qwen2") for (const t of ["attn_q", "attn_k", "attn_v"]) required.push(`blk.${l}.${t}.bias`);
  }
  const missing = required.filter((n) => !names.has(n));
  if (missing.length) throw new UserError(`checkpoint lacks ${missing.length} tensor(s) the model needs, e.g. ${missing[0]} (incomplete download or wrong config?)`);
  if (hp.prm) {
    out.push(headOutput(prmHead(head, hp, fds, metadata), hp));
  } else if (!hp.tied && !names.has("output.weight")) {
    throw new UserError("checkpoint lacks lm_head.weight and config.json does not tie the word embeddings");
  }
  if (hp.ropeFreqs) out.push(generated("rope_freqs.weight", hp.ropeFreqs));
  return { tensors: out, metadata };
}

/** Check the PRM head's four tensors, put b1, W2, b2 into metadata (head-format.ts) and return W1's source. */
function prmHead(head: Map<string, TensorSource>, hp: HParams, fds: FdCache, metadata: Record<string, GgufValue>): TensorSource {
  const H = hp.nEmbd;
  const want: Record<string, number[]> = { "score.0.weight": [H, H], "score.0.bias": [H], "score.2.weight": [2, H], "score.2.bias": [2] };
  for (const [name, shape] of Object.entries(want)) {
    const src = head.get(name);
    if (!src) throw new UserError(`PRM checkpoint lacks ${name} (the reward head)`);
    if (src.shape.join() !== shape.join()) throw new UserError(`PRM head ${name} has shape [${src.shape}], expected [${shape}]`);
  }
  if (hp.nVocab < H + 1) throw new UserError(`vocabulary (${hp.nVocab}) must exceed the hidden size (${H}) to carry the PRM head in output.weight`);
  const all = (n: string) => { const s = head.get(n)!; return readRows(s, s.shape.length === 1 ? s.shape[0] : s.shape[1], 0, s.shape.length === 1 ? 1 : s.shape[0], fds); };
  Object.assign(metadata, headMetadata({ hidden: H, stepToken: PRM_STEP_TOKEN, b1: all("score.0.bias"), w2: all("score.2.weight"), b2: all("score.2.bias") }));
  return head.get("score.0.weight")!;
}
