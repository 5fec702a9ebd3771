import { UserError } from "../errors.js";

/**
 * How step rewards become one score per (partial) solution. `mean`, `min` and `last` reduce the
 * step rewards of the step-separated pass; `whole` is its own pass: the entire partial solution as
 * one step with a single separator at its end (the seed's documented meaning — the released
 * script computed `mean` under that name).
 */
export const AGGREGATIONS = ["mean", "min", "last", "whole"] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];
export const DEFAULT_AGGREGATIONS: readonly Aggregation[] = ["mean", "min", "last", "whole"];

/** Step rewards of one (partial) solution: the step-separated pass, and the one-step `whole` pass. */
export interface Rewards {
  steps: readonly number[];
  /** The single reward of the `whole` pass (absent when `whole` was not asked for). */
  whole?: number;
}

const REDUCERS: Record<Aggregation, (r: Rewards) => number> = {
  mean: (r) => r.steps.reduce((a, b) => a + b, 0) / r.steps.length,
  min: (r) => Math.min(...r.steps),
  last: (r) => r.steps[r.steps.length - 1],
  whole: (r) => {
    if (r.whole === undefined) throw new Error("whole aggregation needs the whole-solution pass");
    return r.whole;
  },
};

/** One aggregated score. Steps are never empty (splitting yields at least one, maybe empty, step). */
export function aggregate(name: Aggregation, rewards: Rewards): number {
  return REDUCERS[name](rewards);
}

/** Validate `--aggregation_methods`, listing the valid names on error; duplicates are dropped. */
export function parseAggregations(values: readonly string[]): Aggregation[] {
  if (values.length === 0) throw new UserError(`--aggregation_methods needs at least one of: ${AGGREGATIONS.join(", ")}`);
  const out: Aggregation[] = [];
  for (const v of values) {
    if (!(AGGREGATIONS as readonly string[]).includes(v)) {
      throw new UserError(`--aggregation_methods: unknown aggregation "${v}"; valid: ${AGGREGATIONS.join(", ")}`);
    }
    if (!out.includes(v as Aggregation)) out.push(v as Aggregation);
  }
  return out;
}

export const DEFAULT_THRESHOLDS: readonly number[] = [128, 256, 512, 1024, 1536, 2048];

/** Validate `--token_thresholds`: positive integers, kept in the given order, duplicates dropped. */
export function parseThresholds(values: readonly string[]): number[] {
  if (values.length === 0) throw new UserError("--token_thresholds needs at least one positive integer");
  const out: number[] = [];
  for (const v of values) {
    if (!/^\+?\d+$/.test(v.trim()) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) {
      throw new UserError(`--token_thresholds: "${v}" is not a positive integer`);
    }
    if (!out.includes(Number(v))) out.push(Number(v));
  }
  return out;
}
