import { kv } from "../gguf/writer.js";
import { makeTinyModel, type TinyModel, type TinyModelOptions } from "../gguf/tiny.js";
import { mulberry32, normalSampler } from "../util/random.js";
import { headMetadata, headOutputMatrix, PRM_FAMILY_KEY, type QwenHead } from "./head-format.js";

/**
 * Tiny random-weight PRMs for tests and benchmarks, in the exact formats real ones travel in:
 * - `makeTinyQwenPrm`: a qwen2 model whose `output.weight` carries a random classifier head's W1
 *   (rows 0…H−1, zero reference row H) and whose metadata carries b1, W2, b2 (head-format.ts).
 * - `makeTinyPlusMinusPrm`: a llama model tagged `prm_rel.family = plus-minus` (an RLHFlow-style
 *   '+'/'-' token PRM; its rewards are just softmax over two logits of the LM head).
 */
export interface TinyQwenPrm {
  model: TinyModel;
  head: QwenHead;
}

export interface TinyPrmOptions extends TinyModelOptions {
  /** W1 entries have std headScale/√H (default 1: W1·h of order 1; larger stresses the read-out). */
  headScale?: number;
}

export function makeTinyQwenPrm(opts: TinyPrmOptions = {}): TinyQwenPrm {
  const hidden = opts.nEmbd ?? 64;
  const rand = normalSampler(mulberry32((opts.seed ?? 1) * 7919 + 17));
  const headScale = opts.headScale ?? 1;
  const fill = (n: number, std: number) => Float32Array.from({ length: n }, () => std * rand());
  const head: QwenHead = {
    hidden,
    stepToken: "<extra_0>",
    w1: fill(hidden * hidden, headScale / Math.sqrt(hidden)),
    b1: fill(hidden, 0.5),
    // W2 shrinks with headScale so that rewards stay spread over (0, 1) rather than saturate.
    w2: fill(2 * hidden, 3 / headScale / Math.sqrt(hidden)),
    b2: fill(2, 0.1),
  };
  const model = makeTinyModel({ scale: 1, ...opts, arch: "qwen2", extraMetadata: { ...opts.extraMetadata, ...headMetadata(head) } });
  const vocab = model.tokens.length;
  model.weights.set("output.weight", { shape: [vocab, hidden], data: headOutputMatrix(head.w1, hidden, vocab) });
  return { model, head };
}

export function makeTinyPlusMinusPrm(opts: TinyModelOptions = {}): TinyModel {
  return makeTinyModel({ scale: 1, arch: "llama", ...opts, extraMetadata: { ...opts.extraMetadata, [PRM_FAMILY_KEY]: kv.str("plus-minus") } });
}
