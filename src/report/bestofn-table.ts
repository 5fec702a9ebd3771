import type { AccuracyResult } from "../stats/types.js";
import { row } from "./correlation-table.js";
import { cell, formatCount, formatPercent, rule, tauLabel } from "./format.js";

/** Default title of the Best-of-N table. */
export const BEST_OF_N_TITLE = "SUMMARY: Best-of-N Accuracy (top partial score per problem)";

/** The baselines printed under the Best-of-N grid. */
export interface BestOfNBaselines {
  /** Majority vote over each problem's extracted answers. */
  majority: AccuracyResult;
  /** Mean single-sample accuracy (expected accuracy of one random sample per problem). */
  meanSingle: AccuracyResult;
  /** Any of the N samples correct. */
  passAtN: AccuracyResult;
  /** N, to label the pass@N line (`pass@64`); omit when it varies between problems. */
  n?: number;
}

export interface BestOfNTableOptions {
  /** Row label of a threshold (default `τ=<tau>`). */
  rowLabel?: (tau: number) => string;
}

/**
 * The Best-of-N table in the geometry of the seed's correlation table (80 columns): one row per
 * threshold τ, one column per aggregation, each cell `xx.xx% (k)` — the accuracy of picking each
 * problem's top-scored solution by its partial score at τ, and the number of problems solved —
 * then the baselines as `xx.xx% (k/n)`. A null cell prints `n/a`.
 *
 * @example
 * renderBestOfNTable(BEST_OF_N_TITLE, [2048], ["min"], () => ({ correct: 29, total: 172, accuracy: 29 / 172 }), {
 *   majority: { correct: 25, total: 172, accuracy: 25 / 172 },
 *   meanSingle: { correct: 20, total: 172, accuracy: 20 / 172 },
 *   passAtN: { correct: 52, total: 172, accuracy: 52 / 172 }, n: 64 });
 * // rows: "τ=2048      16.86% (29)", …, "Majority vote            14.53% (25/172)", …
 */
export function renderBestOfNTable(
  title: string,
  thresholds: readonly number[],
  aggregations: readonly string[],
  result: (tau: number, aggregation: string) => AccuracyResult | null,
  baselines: BestOfNBaselines,
  options: BestOfNTableOptions = {},
): string {
  const label = options.rowLabel ?? tauLabel;
  const problems = baselines.passAtN.total;
  const lines = [rule("="), title, rule("="), row("Threshold", aggregations), rule("-")];
  for (const tau of thresholds) {
    lines.push(row(label(tau), aggregations.map((agg) => {
      const a = result(tau, agg);
      return a === null ? "n/a" : `${formatPercent(a.accuracy)} (${formatCount(a.correct)})`;
    })));
  }
  lines.push(rule("-"));
  lines.push(`Cells: accuracy (problems solved) over ${problems} problems. Baselines:`);
  lines.push(baselineLine("Majority vote", baselines.majority));
  lines.push(baselineLine("Mean single-sample", baselines.meanSingle));
  lines.push(baselineLine(baselines.n === undefined ? "pass@N" : `pass@${baselines.n}`, baselines.passAtN));
  lines.push(rule("="));
  return lines.join("\n") + "\n";
}

/**
 * One baseline line: name in 24 columns, then `xx.xx% (k/n)` with the percentage right-aligned.
 *
 * @example
 * baselineLine("pass@64", { correct: 52, total: 172, accuracy: 52 / 172 });
 * // => "pass@64                  30.23% (52/172)"
 */
export function baselineLine(name: string, a: AccuracyResult): string {
  return cell(name, 24) + formatPercent(a.accuracy).padStart(7) + ` (${formatCount(a.correct)}/${a.total})`;
}
