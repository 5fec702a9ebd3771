/** What went wrong, for callers that branch on it. */
export type StatsErrorCode = "length-mismatch" | "non-finite" | "empty" | "domain" | "no-convergence";

/**
 * Thrown by the statistics core when an input breaks a function's contract (arrays of different
 * lengths, NaN or ±Infinity values, nothing to average over, an argument out of its domain).
 * Degenerate-but-valid data — a constant vector, too few pairs — is *not* an error: it yields a
 * `null` result with a reason instead.
 *
 * @example
 * try { pearson([1, 2], [1]); } catch (e) { (e as StatsError).code; } // => "length-mismatch"
 */
export class StatsError extends Error {
  override name = "StatsError";
  constructor(message: string, readonly code: StatsErrorCode) {
    super(message);
  }
}
