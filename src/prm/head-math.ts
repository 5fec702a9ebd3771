import type { QwenHead } from "./head-format.js";

/**
 * Reading the Qwen PRM head's first layer out of llama.cpp's next-token distribution.
 *
 * The GGUF's LM head is W1 padded with zero rows (head-format.ts), so the logit of token j < H is
 * (W1·h)_j and token H (a zero row) has logit exactly 0. At a step token we ask for probabilities
 * after the sampler chain `token bias → top-k → temperature`: biasing tokens 0…H by B lifts them
 * above every zero row, top-k = H+1 keeps exactly them, and llama.cpp returns
 * p_j = softmax((l + B)/T)_j in float32. Hence (W1·h)_j = T·(ln p_j − ln p_H).
 *
 * Precision (float32 throughout llama.cpp's sampler):
 * - l_j + B is rounded to float32: error ≤ ulp(B + max|l|)/2 (B = 64: 3.8e-6 for |l| < 64).
 * - Division by a power-of-two T is exact; exp/normalisation cost a few float32 ulps relative to
 *   p, i.e. ~T·2e-7 absolute on W1·h.
 * - exp underflows when the range of (l + B)/T over the H+1 kept tokens exceeds ~87 (float32
 *   denormals start at e^-87.3 and lose bits below it): p_j = 0 or denormal → `HeadRangeError`, and
 *   the caller re-reads that position at the next level (larger B and T).
 * - A head row whose logit is ≤ −B ties with or falls below the zero rows → top-k lets in a token
 *   > H → `HeadRangeError` as well.
 */
export interface HeadReadoutLevel {
  bias: number;
  temperature: number;
}

/** Escalation ladder: level 0 covers |W1·h| < 64 with range < 87·4; each next one 16× wider. */
export const HEAD_READOUT_LEVELS: readonly HeadReadoutLevel[] = [
  { bias: 64, temperature: 4 },
  { bias: 1024, temperature: 64 },
  { bias: 16384, temperature: 1024 },
];

/** The smallest normal float32: probabilities below it have lost precision. */
const MIN_NORMAL_F32 = 1.1754943508222875e-38;

export class HeadRangeError extends Error {
  override name = "HeadRangeError";
}

/** W1·h (length H) from the returned probabilities; throws HeadRangeError when out of range. */
export function firstLayerFromProbabilities(probabilities: Map<number, number>, hidden: number, temperature: number): Float64Array {
  if (probabilities.size !== hidden + 1) throw new HeadRangeError(`expected ${hidden + 1} probabilities, got ${probabilities.size}`);
  const ref = probabilities.get(hidden);
  if (ref === undefined) throw new HeadRangeError(`reference token ${hidden} missing from the read-out`);
  if (!(ref >= MIN_NORMAL_F32)) throw new HeadRangeError(`reference probability underflowed (${ref})`);
  const lnRef = Math.log(ref);
  const z = new Float64Array(hidden);
  for (let j = 0; j < hidden; j++) {
    const p = probabilities.get(j);
    if (p === undefined) throw new HeadRangeError(`head row ${j} fell below the zero rows (logit ≤ −bias)`);
    if (!(p >= MIN_NORMAL_F32)) throw new HeadRangeError(`probability of head row ${j} underflowed (${p})`);
    z[j] = temperature * (Math.log(p) - lnRef);
  }
  return z;
}

/** softmax(W2·ReLU(z + b1) + b2)[1] in float64, z = W1·h: the head after its first layer. */
export function headRewardFromFirstLayer(z: ArrayLike<number>, head: Omit<QwenHead, "w1">): number {
  const H = head.hidden;
  let l0 = head.b2[0];
  let l1 = head.b2[1];
  for (let i = 0; i < H; i++) {
    const a = z[i] + head.b1[i];
    if (a <= 0) continue;
    l0 += head.w2[i] * a;
    l1 += head.w2[H + i] * a;
  }
  return 1 / (1 + Math.exp(l0 - l1));
}
