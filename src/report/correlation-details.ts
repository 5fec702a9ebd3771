import type { CorrelationResult } from "../stats/types.js";
import { cell, formatFixed, rule, tauLabel } from "./format.js";

/**
 * Everything behind one correlation table: for each τ × aggregation, r, its 95% confidence
 * interval (Fisher z), the two-sided p-value and n — or, for an undefined r, the reason.
 * 80 columns; ends with a newline.
 *
 * @example
 * renderCorrelationDetails("DETAILS: Pearson Correlation (Partial → Correctness)", [128], ["mean"],
 *   () => ({ r: -0.8285, n: 7, p: 0.02128, ci95: [-0.9739, -0.2006] }));
 * // row: "τ=128       mean          -0.829   [-0.974, -0.201]      0.0213        7"
 */
export function renderCorrelationDetails(
  title: string,
  thresholds: readonly number[],
  aggregations: readonly string[],
  result: (tau: number, aggregation: string) => CorrelationResult,
  options: { rowLabel?: (tau: number) => string } = {},
): string {
  const label = options.rowLabel ?? tauLabel;
  const lines = [rule("="), title, rule("="), detailRow("Threshold", "Aggregation", "r", "95% CI", "p", "n"), rule("-")];
  for (const tau of thresholds) {
    for (const agg of aggregations) {
      const res = result(tau, agg);
      if (res.r === null) {
        lines.push((cell(label(tau), 12) + cell(agg, 13) + "n/a".padStart(7) + "   " + (res.reason ?? "undefined")).trimEnd());
        continue;
      }
      const ci = res.ci95 === null ? "n/a" : `[${signed(res.ci95[0])}, ${signed(res.ci95[1])}]`;
      lines.push(detailRow(label(tau), agg, formatFixed(res.r, 3), ci, res.p === null ? "n/a" : formatP(res.p), String(res.n)));
    }
  }
  lines.push(rule("="));
  return lines.join("\n") + "\n";
}

function detailRow(tau: string, agg: string, r: string, ci: string, p: string, n: string): string {
  return (cell(tau, 12) + cell(agg, 13) + r.padStart(7) + "   " + ci.padEnd(18) + p.padStart(10) + n.padStart(9)).trimEnd();
}

function signed(x: number): string {
  const s = formatFixed(x, 3);
  return s.startsWith("-") ? s : " " + s;
}

/**
 * A p-value for people: four decimals from 1e-4 up, else two significant digits in exponent
 * form; an exact 0 (|r| = 1, or below the smallest double) prints as `0`.
 *
 * @example
 * formatP(0.021280260007523286); // => "0.0213"
 * formatP(8.572e-12); // => "8.57e-12"
 */
export function formatP(p: number): string {
  if (p === 0) return "0";
  return p < 1e-4 ? p.toExponential(2) : formatFixed(p, 4);
}
