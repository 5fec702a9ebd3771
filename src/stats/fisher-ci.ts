import { StatsError } from "./errors.js";

/** The 97.5% quantile of the standard normal distribution, Φ⁻¹(0.975). */
export const Z_975 = 1.959963984540054;

/**
 * 95% confidence interval of a Pearson correlation by Fisher's z transform:
 * tanh(atanh(r) ± 1.959963984540054 / √(n − 3)). The same interval as SciPy's
 * `pearsonr(x, y).confidence_interval()`.
 *
 * Returns `null` when n ≤ 3 (the standard error is undefined). r = ±1 gives [±1, ±1].
 *
 * @param r the sample correlation, in [-1, 1]
 * @param n the number of pairs it was computed from
 * @throws {StatsError} `domain` when r is outside [-1, 1] or not a number
 * @example
 * fisherCI95(0.5, 28); // ≈ [0.1560, 0.7358]
 * fisherCI95(0.5, 3); // => null
 */
export function fisherCI95(r: number, n: number): [number, number] | null {
  if (!(r >= -1 && r <= 1)) throw new StatsError(`Fisher z: r must lie in [-1, 1], got ${r}`, "domain");
  if (!(n > 3)) return null;
  const z = Math.atanh(r);
  const half = Z_975 / Math.sqrt(n - 3);
  return [Math.tanh(z - half), Math.tanh(z + half)];
}
