import { incompleteBetaPair } from "./incomplete-beta.js";
import { StatsError } from "./errors.js";

/**
 * Two-sided tail probability of Student's t distribution: P(|T| ≥ |t|) for T ~ t(df).
 *
 * Uses P = I_{df/(df+t²)}(df/2, 1/2), the regularized incomplete beta function.
 *
 * @param t the t statistic (±Infinity gives 0)
 * @param df degrees of freedom, > 0 (need not be an integer)
 * @throws {StatsError} `domain` when df ≤ 0 or t is NaN
 * @example
 * studentTTwoSidedP(2.228138851986274, 10); // ≈ 0.05 (the 97.5% table value for 10 df)
 * studentTTwoSidedP(1, 1); // ≈ 0.5 (Cauchy: 1 − (2/π)·atan(1))
 */
export function studentTTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t)) throw new StatsError("Student t: t is NaN", "domain");
  if (!(df > 0) || !Number.isFinite(df)) throw new StatsError(`Student t: df must be finite and > 0, got ${df}`, "domain");
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  // x = df/(df+t²) and 1 − x = t²/(df+t²), each computed without cancellation.
  return incompleteBetaPair(df / (df + t2), t2 / (df + t2), df / 2, 0.5);
}
