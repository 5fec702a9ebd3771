import type { CorrelationResult } from "../stats/types.js";
import { formatFixed } from "./format.js";

/** Point markers, one per aggregation in order (cycling after the eighth). */
export const PLOT_MARKERS = ["*", "o", "x", "^", "v", "@", "%", "&"] as const;
const STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5];

export interface PlotOptions {
  /** Most rows of the y axis (default 21: ticks of 0.05 over 0…1); the tick step is the smallest that fits. */
  maxRows?: number;
  /** Total width to stay within (default 80). */
  width?: number;
  /** Join consecutive points of a series with `.` (default: only when there is one series). */
  lines?: boolean;
}

/**
 * A terminal line plot of r against τ, one series per aggregation: thresholds are evenly spaced
 * on the x axis (in order, not to scale), r is rounded to the nearest tick of the y axis, points
 * are drawn with {@link PLOT_MARKERS} (joined by `.` when `lines`; points that fall in the same
 * cell are nudged sideways, right first); a null r is left out. Plain ASCII apart from the
 * title, deterministic, no trailing spaces; ends with a newline.
 *
 * @example
 * renderCorrelationPlot("r (Partial → Correctness) vs τ", [128, 256], ["mean"],
 *   (tau) => ({ r: tau === 128 ? 0.1 : 0.3, n: 10, p: null, ci95: null }));
 * // => "r (Partial → Correctness) vs τ\n0.30 |          *\n0.29 |\n0.28 |         .\n…\n0.10 |*\n     +---------+\n      128       256\n      * mean\n"
 */
export function renderCorrelationPlot(
  title: string,
  thresholds: readonly number[],
  aggregations: readonly string[],
  result: (tau: number, aggregation: string) => CorrelationResult,
  options: PlotOptions = {},
): string {
  const maxRows = Math.max(2, options.maxRows ?? 21);
  const series = aggregations.map((agg) => thresholds.map((tau) => result(tau, agg).r));
  const defined = series.flat().filter((v): v is number => v !== null);
  if (defined.length === 0 || thresholds.length === 0) return `${title}\n(no defined correlation to plot)\n`;

  // y axis: tick step and the range [loK, hiK] in ticks
  const lo = Math.min(...defined), hi = Math.max(...defined);
  let step = STEPS[STEPS.length - 1], loK = 0, hiK = 0;
  for (const s of STEPS) {
    const l = Math.floor(lo / s + 1e-9), h = Math.max(Math.ceil(hi / s - 1e-9), l + 1);
    if (h - l + 1 <= maxRows || s === STEPS[STEPS.length - 1]) { step = s; loK = l; hiK = h; break; }
  }
  const decimals = [0.1, 0.2, 0.5].includes(step) ? 1 : 2;
  const yLabels = Array.from({ length: hiK - loK + 1 }, (_, i) => formatFixed((hiK - i) * step, decimals));
  const labelWidth = Math.max(...yLabels.map((s) => s.length));

  // x axis: evenly spaced columns
  const xLabels = thresholds.map(String);
  const room = (options.width ?? 80) - labelWidth - 2 - Math.max(...xLabels.map((s) => s.length));
  const minCol = Math.max(...xLabels.map((s) => s.length)) + 1;
  const colWidth = thresholds.length < 2 ? minCol : Math.max(minCol, Math.min(10, Math.floor(room / (thresholds.length - 1))));
  const plotWidth = (thresholds.length - 1) * colWidth + 1;

  const grid = yLabels.map(() => Array<string>(plotWidth).fill(" "));
  const rowOf = (v: number) => Math.round(hiK - v / step);
  if (options.lines ?? series.length === 1) series.forEach((vals) => {
    for (let i = 0; i + 1 < vals.length; i++) {
      const a = vals[i], b = vals[i + 1];
      if (a === null || b === null) continue;
      for (let k = 1; k < colWidth; k++) {
        const r = rowOf(a + ((b - a) * k) / colWidth);
        if (grid[r][i * colWidth + k] === " ") grid[r][i * colWidth + k] = ".";
      }
    }
  });
  series.forEach((vals, s) => {
    const mark = PLOT_MARKERS[s % PLOT_MARKERS.length];
    vals.forEach((v, i) => {
      if (v === null) return;
      const cells = grid[rowOf(v)];
      // A cell already holding another marker: nudge sideways (right first), staying in its column.
      for (const d of nudges(colWidth)) {
        const c = i * colWidth + d;
        if (c < 0 || c >= plotWidth) continue;
        if (cells[c] === " " || cells[c] === ".") { cells[c] = mark; break; }
      }
    });
  });

  const lines = [title];
  grid.forEach((cells, i) => lines.push(`${yLabels[i].padStart(labelWidth)} |${cells.join("")}`.trimEnd()));
  let axis = "", names = "";
  for (let c = 0; c < plotWidth; c++) axis += c % colWidth === 0 ? "+" : "-";
  thresholds.forEach((_, i) => { names = names.padEnd(i * colWidth) + xLabels[i]; });
  lines.push(`${" ".repeat(labelWidth)} +${axis.slice(1)}`);
  lines.push(`${" ".repeat(labelWidth + 2)}${names}`.trimEnd());
  lines.push(`${" ".repeat(labelWidth + 2)}${aggregations.map((a, i) => `${PLOT_MARKERS[i % PLOT_MARKERS.length]} ${a}`).join("   ")}`);
  return lines.join("\n") + "\n";
}

/** Column offsets tried for a marker: 0, +1, −1, +2, −2, … within half a column. */
function nudges(colWidth: number): number[] {
  const out = [0];
  for (let d = 1; d < Math.max(1, Math.floor(colWidth / 2)); d++) out.push(d, -d);
  return out;
}
