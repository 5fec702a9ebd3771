import type { CorrelationResult } from "../stats/types.js";
import { cell, COLUMN, FIRST_COLUMN, formatFixed, rule, tauLabel } from "./format.js";

/** Titles of the three correlation tables; the first is the seed's. */
export const CORRELATION_TITLES = {
  partialToCorrectness: "SUMMARY: Pearson Correlation (Partial → Correctness)",
  partialToFinal: "SUMMARY: Pearson Correlation (Partial → Final Score)",
  finalToCorrectness: "SUMMARY: Pearson Correlation (Final Score → Correctness)",
} as const;

export interface CorrelationTableOptions {
  /** Row label of a threshold (default `τ=<tau>`, the seed's). */
  rowLabel?: (tau: number) => string;
  /**
   * After the closing rule, one line per distinct reason of the `n/a` cells, saying which cells it
   * covers (default true). A table without `n/a` cells never has these lines.
   */
  notes?: boolean;
}

/**
 * The seed's summary table of Pearson correlations, character for character: a rule of 80 `=`,
 * the title, 80 `=`, the header (`Threshold` padded to 12 columns, each aggregation to 15),
 * 80 `-`, one row per threshold with r to three decimals (`n/a` where r is null), 80 `=`.
 * Lines carry no trailing spaces (as the seed shows them); the result ends with a newline.
 *
 * @param title the line between the top rules, e.g. {@link CORRELATION_TITLES}.partialToCorrectness
 * @param thresholds the rows (τ values), in order
 * @param aggregations the columns, in order
 * @param result the correlation of one τ × aggregation cell
 * @example
 * renderCorrelationTable(CORRELATION_TITLES.partialToCorrectness, [128], ["mean"],
 *   () => ({ r: 0.155, n: 1920, p: 1e-11, ci95: [0.11, 0.2] }));
 * // => "====…\nSUMMARY: Pearson Correlation (Partial → Correctness)\n====…\nThreshold   mean\n----…\nτ=128       0.155\n====…\n"
 */
export function renderCorrelationTable(
  title: string,
  thresholds: readonly number[],
  aggregations: readonly string[],
  result: (tau: number, aggregation: string) => CorrelationResult,
  options: CorrelationTableOptions = {},
): string {
  const label = options.rowLabel ?? tauLabel;
  const lines = [rule("="), title, rule("="), row("Threshold", aggregations), rule("-")];
  const missing = new Map<string, string[]>();
  let cells = 0;
  for (const tau of thresholds) {
    const values = aggregations.map((agg) => {
      cells++;
      const res = result(tau, agg);
      if (res.r !== null) return formatFixed(res.r, 3);
      const reason = res.reason ?? "undefined";
      missing.set(reason, [...(missing.get(reason) ?? []), `${label(tau)} ${agg}`]);
      return "n/a";
    });
    lines.push(row(label(tau), values));
  }
  lines.push(rule("="));
  if (options.notes ?? true) {
    for (const [reason, where] of missing) {
      lines.push(`n/a: ${reason} (${where.length === cells && cells > 1 ? "all cells" : where.join(", ")})`);
    }
  }
  return lines.join("\n") + "\n";
}

/** One line of the seed's table: first column 12 wide, the others 15, no trailing spaces. */
export function row(first: string, rest: readonly string[]): string {
  return (cell(first, FIRST_COLUMN) + rest.map((s) => cell(s, COLUMN)).join("")).trimEnd();
}
