import { StatsError } from "./errors.js";
import { fisherCI95 } from "./fisher-ci.js";
import { incompleteBetaPair } from "./incomplete-beta.js";
import type { CorrelationResult } from "./types.js";

/**
 * Pearson's correlation coefficient of paired samples, with its two-sided p-value (Student's t
 * with n − 2 degrees of freedom, as SciPy's `pearsonr`) and a 95% confidence interval (Fisher z).
 *
 * Undefined cases give `r: null` and a `reason` instead of NaN: fewer than 3 pairs, or a
 * constant vector (e.g. every solution wrong). r is computed with centred two-pass sums and
 * clamped to [-1, 1].
 *
 * @param x first sample (e.g. partial PRM scores)
 * @param y second sample, same length (e.g. correctness as 0/1)
 * @throws {StatsError} `length-mismatch` when the lengths differ; `non-finite` on NaN or ±Infinity
 * @example
 * pearson([1, 2, 3, 4, 5, 6, 7], [10, 9, 2.5, 6, 4, 3, 2]);
 * // => { r: -0.828503883588428, n: 7, p: ≈ 0.0212802600075, ci95: ≈ [-0.9739, -0.2006] }
 * pearson([0.5, 0.5, 0.5], [0, 1, 1]);
 * // => { r: null, n: 3, p: null, ci95: null, reason: "constant x: all 3 values are 0.5" }
 */
export function pearson(x: readonly number[], y: readonly number[]): CorrelationResult {
  if (x.length !== y.length) {
    throw new StatsError(`pearson: length mismatch (x has ${x.length} values, y has ${y.length})`, "length-mismatch");
  }
  const n = x.length;
  checkFinite(x, "x");
  checkFinite(y, "y");
  if (n < 3) return undefinedResult(n, `n < 3 (got ${n} pair${n === 1 ? "" : "s"})`);
  const constX = constantReason(x, "x");
  if (constX) return undefinedResult(n, constX);
  const constY = constantReason(y, "y");
  if (constY) return undefinedResult(n, constY);

  const mx = mean(x), my = mean(y);
  let sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  // √(sxx·syy) is exact for proportional deviations (r = ±1 stays exact); split it on overflow.
  const prod = sxx * syy;
  const denom = Number.isFinite(prod) && prod > 0 ? Math.sqrt(prod) : Math.sqrt(sxx) * Math.sqrt(syy);
  const r = Math.max(-1, Math.min(1, sxy / denom));
  return { r, n, p: pearsonPValue(r, n), ci95: fisherCI95(r, n) };
}

/**
 * Two-sided p-value of a Pearson r from n pairs under H0: ρ = 0. With t = r·√((n−2)/(1−r²)),
 * P(|T| ≥ |t|) = I_{1−r²}((n−2)/2, 1/2); 1 − r² is formed as (1−|r|)(1+|r|) to keep its
 * precision near |r| = 1.
 *
 * @throws {StatsError} `domain` when n < 3 or r is outside [-1, 1]
 * @example
 * pearsonPValue(0, 10); // => 1
 * pearsonPValue(1, 10); // => 0
 */
export function pearsonPValue(r: number, n: number): number {
  if (!(r >= -1 && r <= 1)) throw new StatsError(`pearson p-value: r must lie in [-1, 1], got ${r}`, "domain");
  if (!(n >= 3)) throw new StatsError(`pearson p-value: need n ≥ 3, got ${n}`, "domain");
  const a = Math.abs(r);
  return incompleteBetaPair((1 - a) * (1 + a), a * a, (n - 2) / 2, 0.5);
}

function mean(v: readonly number[]): number {
  let s = 0;
  for (const e of v) s += e;
  return s / v.length;
}

function checkFinite(v: readonly number[], name: string): void {
  const i = v.findIndex((e) => typeof e !== "number" || !Number.isFinite(e));
  if (i >= 0) throw new StatsError(`pearson: ${name}[${i}] is ${String(v[i])}, not a finite number`, "non-finite");
}

function constantReason(v: readonly number[], name: string): string | undefined {
  const first = v[0];
  for (const e of v) if (e !== first) return undefined;
  return `constant ${name}: all ${v.length} values are ${String(first)}`;
}

function undefinedResult(n: number, reason: string): CorrelationResult {
  return { r: null, n, p: null, ci95: null, reason };
}
