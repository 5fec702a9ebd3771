import { UserError } from "../errors.js";
import { mulberry32 } from "../util/random.js";
import type { ProblemRow } from "./rows.js";

/** How `--num_samples` picked problems: enough to redo the pick, recorded in gen's metadata. */
export interface ProblemSelection {
  /** "all" (no --num_samples, or it covers the whole set) or a seeded shuffle. */
  method: "all" | "seeded-shuffle-mulberry32";
  seed: number;
  /** --num_samples as given (null when absent). */
  requested: number | null;
  /** Rows in the dataset. */
  total: number;
  /** `index` of every chosen problem, in dataset order. */
  indices: number[];
}

/**
 * Pick `numSamples` problems reproducibly: Fisher–Yates shuffle of the row positions driven by
 * mulberry32(seed), keep the first `numSamples`, then sort them back into dataset order. The same
 * (dataset, numSamples, seed) always gives the same problems on any machine, and a larger
 * numSamples with the same seed is a superset of a smaller one (it extends the same shuffle).
 * @example selectProblems(rows, 10, 0).selection.indices // e.g. [2, 5, 7, …] (10 indices)
 */
export function selectProblems(
  rows: ProblemRow[],
  numSamples: number | undefined | null,
  seed: number,
): { rows: ProblemRow[]; selection: ProblemSelection } {
  const total = rows.length;
  if (numSamples !== undefined && numSamples !== null && (!Number.isInteger(numSamples) || numSamples < 1)) {
    throw new UserError(`--num_samples must be a positive integer, got ${numSamples}`);
  }
  if (!Number.isInteger(seed)) throw new UserError(`--seed must be an integer, got ${seed}`);
  const requested = numSamples ?? null;
  if (requested === null || requested >= total) {
    return { rows: [...rows], selection: { method: "all", seed, requested, total, indices: rows.map((r) => r.index) } };
  }
  const order = rows.map((_, i) => i);
  const random = mulberry32(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  // Shuffle from the end, take from the end: position k's fate is fixed once i passes it, which
  // is what makes a larger pick a superset of a smaller one.
  const chosen = order.slice(total - requested).sort((a, b) => a - b);
  const picked = chosen.map((i) => rows[i]);
  return {
    rows: picked,
    selection: { method: "seeded-shuffle-mulberry32", seed, requested, total, indices: picked.map((r) => r.index) },
  };
}
