/**
 * Plain data shared by the statistics core, the report renderers and the `score` stage.
 * Nothing here depends on a model: every table can be rebuilt from these shapes alone.
 */

/**
 * A Pearson correlation with its sampling uncertainty.
 *
 * - `r`: the sample correlation coefficient in [-1, 1], or `null` when it is undefined
 *   (fewer than 3 pairs, or a constant vector); `reason` then says why, in words.
 * - `n`: the number of (x, y) pairs used.
 * - `p`: two-sided p-value of H0: ρ = 0 (Student's t with n − 2 degrees of freedom), or `null`
 *   with `r`.
 * - `ci95`: 95% confidence interval from Fisher's z transform, or `null` when `r` is null or
 *   n ≤ 3 (the standard error 1/√(n−3) is then undefined).
 */
export interface CorrelationResult {
  r: number | null;
  n: number;
  p: number | null;
  ci95: [number, number] | null;
  reason?: string;
}

/**
 * One sampled solution of one problem, as Best-of-N sees it.
 *
 * - `correct`: whether the *full* solution was graded correct against the gold answer.
 * - `score`: the (aggregated) PRM score used to rank solutions; `null` when the solution could
 *   not be scored — it is then never picked.
 * - `answer`: the solution's extracted, normalised final answer (used by majority vote), or
 *   `null` when none was found.
 */
export interface Candidate {
  correct: boolean;
  score: number | null;
  answer: string | null;
}

/** All candidates of one problem, in sample order (index 0 = first sample). */
export type Problem = readonly Candidate[];

/**
 * An accuracy over problems: `accuracy = correct / total`.
 * `correct` is an integer count except for {@link meanAccuracy}, where it is the expected number
 * of problems solved by one random sample (a sum of per-problem fractions).
 */
export interface AccuracyResult {
  correct: number;
  total: number;
  accuracy: number;
}
