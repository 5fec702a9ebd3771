import { test } from "node:test";
import assert from "node:assert/strict";
import { CORRELATION_TITLES, renderCorrelationTable } from "../src/report/correlation-table.js";
import { BEST_OF_N_TITLE, baselineLine, renderBestOfNTable } from "../src/report/bestofn-table.js";
import { formatP, renderCorrelationDetails } from "../src/report/correlation-details.js";
import { renderCorrelationPlot } from "../src/report/plot.js";
import { formatAccuracy, formatFixed } from "../src/report/format.js";
import type { AccuracyResult, CorrelationResult } from "../src/stats/types.js";

/** The example summary table of the seed (PRM_ANALYSIS_README.md, "Example summary table"), verbatim. */
const SEED_TABLE = `================================================================================
SUMMARY: Pearson Correlation (Partial → Correctness)
================================================================================
Threshold   mean           min            last           whole
--------------------------------------------------------------------------------
τ=128       0.155          0.124          0.170          0.018
τ=256       0.293          0.216          0.264          0.025
τ=512       0.511          0.350          0.483          0.132
τ=1024      0.819          0.555          0.733          0.449
τ=1536      0.954          0.648          0.777          0.642
τ=2048      0.997          0.668          0.772          0.742
================================================================================
`;

const TAUS = [128, 256, 512, 1024, 1536, 2048];
const AGGS = ["mean", "min", "last", "whole"];
/** The seed table's numbers, read off its rows. */
const SEED_R: Record<number, number[]> = {
  128: [0.155, 0.124, 0.17, 0.018],
  256: [0.293, 0.216, 0.264, 0.025],
  512: [0.511, 0.35, 0.483, 0.132],
  1024: [0.819, 0.555, 0.733, 0.449],
  1536: [0.954, 0.648, 0.777, 0.642],
  2048: [0.997, 0.668, 0.772, 0.742],
};
const seedCell = (tau: number, agg: string): CorrelationResult => ({ r: SEED_R[tau][AGGS.indexOf(agg)], n: 1920, p: 1e-6, ci95: [0, 1] });
/** Checked by eye: e.g. τ=512 mean 0.511 and last 0.483 both round to 0.50, so `x` sits one column right of `*`. */
const PLOT_SNAPSHOT = [
  "r (Partial → Correctness) vs τ",
  "1.00 |                                                  *",
  "0.95 |                                        *",
  "0.90 |",
  "0.85 |",
  "0.80 |                              *         x",
  "0.75 |                              x                  ^x",
  "0.70 |",
  "0.65 |                                        o^        o",
  "0.60 |",
  "0.55 |                              o",
  "0.50 |                    *x",
  "0.45 |                              ^",
  "0.40 |",
  "0.35 |                    o",
  "0.30 |          *",
  "0.25 |          x",
  "0.20 |          o",
  "0.15 |*x                  ^",
  "0.10 |o",
  "0.05 |",
  "0.00 |^         ^",
  "     +---------+---------+---------+---------+---------+",
  "      128       256       512       1024      1536      2048",
  "      * mean   o min   x last   ^ whole",
  "",
].join("\n");
const acc = (correct: number, total: number): AccuracyResult => ({ correct, total, accuracy: correct / total });

test("the correlation table reproduces the seed's example character for character", () => {
  const out = renderCorrelationTable(CORRELATION_TITLES.partialToCorrectness, TAUS, AGGS, seedCell);
  assert.equal(out, SEED_TABLE);
  // the geometry, spelled out
  const lines = out.split("\n");
  assert.equal(lines[0], "=".repeat(80));
  assert.equal(lines[3], "Threshold".padEnd(12) + ["mean", "min", "last"].map((a) => a.padEnd(15)).join("") + "whole");
  assert.equal(lines[4], "-".repeat(80));
  assert.equal(lines[5].indexOf("0.155"), 12);
  assert.equal(lines[5].indexOf("0.124"), 27);
});

test("unrounded values print with three decimals as Python's f\"{r:.3f}\"", () => {
  const out = renderCorrelationTable("T", [128], ["mean", "min", "last", "whole"], (_t, agg) =>
    ({ r: { mean: 0.15549999, min: -0.0625, last: -0.00001, whole: 1 }[agg]!, n: 9, p: 0.5, ci95: null }));
  assert.equal(out.split("\n")[5], "τ=128       0.155          -0.062         -0.000         1.000");
});

test("n/a cells and their reasons", () => {
  const out = renderCorrelationTable(CORRELATION_TITLES.partialToCorrectness, [128, 256], ["mean", "whole"], (tau, agg) =>
    agg === "whole" ? { r: null, n: 64, p: null, ci95: null, reason: "constant x: all 64 values are 0.5" } : seedCell(tau, agg));
  assert.deepEqual(out.split("\n").slice(5), [
    "τ=128       0.155          n/a",
    "τ=256       0.293          n/a",
    "=".repeat(80),
    "n/a: constant x: all 64 values are 0.5 (τ=128 whole, τ=256 whole)",
    "",
  ]);
  const all = renderCorrelationTable("T", [128, 256], ["mean"], () => ({ r: null, n: 1920, p: null, ci95: null, reason: "constant y: all 1920 values are 0" }));
  assert.match(all, /\nn\/a: constant y: all 1920 values are 0 \(all cells\)\n$/);
  const quiet = renderCorrelationTable("T", [128], ["mean"], () => ({ r: null, n: 2, p: null, ci95: null, reason: "n < 3 (got 2 pairs)" }), { notes: false });
  assert.ok(quiet.endsWith("=".repeat(80) + "\n"));
});

test("over-long labels never run into the next column", () => {
  const out = renderCorrelationTable("T", [128], ["a-very-long-aggregation", "min"], () => ({ r: 0.5, n: 9, p: 0.1, ci95: null }));
  assert.equal(out.split("\n")[3], "Threshold   a-very-long-aggregation min");
});

test("formatFixed rounds like Python: exact binary ties to even", () => {
  // Python: f"{0.0625:.3f}" = '0.062', f"{0.1875:.3f}" = '0.188', f"{-0.3125:.3f}" = '-0.312', f"{2.5:.0f}" = '2'
  assert.equal(formatFixed(0.0625, 3), "0.062");
  assert.equal(formatFixed(0.1875, 3), "0.188");
  assert.equal(formatFixed(-0.3125, 3), "-0.312");
  assert.equal(formatFixed(2.5, 0), "2");
  assert.equal(formatFixed(3.5, 0), "4");
  // not ties: 0.0005 and 0.1235 are not exact in binary, rounding follows the stored value
  assert.equal(formatFixed(0.0005, 3), (0.0005).toFixed(3));
  assert.equal(formatFixed(0.1235, 3), (0.1235).toFixed(3));
  assert.equal(formatFixed(-0, 3), "-0.000");
  assert.equal(formatFixed(0.9999, 3), "1.000");
});

test("accuracies print as xx.xx% (k/n), as the seed quotes them", () => {
  assert.equal(formatAccuracy(acc(29, 172)), "16.86% (29/172)");
  assert.equal(formatAccuracy(acc(20, 172)), "11.63% (20/172)");
  assert.equal(formatAccuracy(acc(20.5, 172)), "11.92% (20.50/172)");
  assert.equal(formatAccuracy(acc(172, 172)), "100.00% (172/172)");
  assert.equal(baselineLine("pass@64", acc(52, 172)), "pass@64                  30.23% (52/172)");
});

test("the Best-of-N table", () => {
  const cells: Record<string, number> = { mean: 29, min: 27, last: 25, whole: 20 };
  const out = renderBestOfNTable(BEST_OF_N_TITLE, [128, 2048], AGGS, (tau, agg) => (tau === 128 && agg === "whole" ? null : acc(cells[agg], 172)), {
    majority: acc(25, 172), meanSingle: acc(20.5, 172), passAtN: acc(52, 172), n: 64,
  });
  assert.equal(out, [
    "=".repeat(80),
    "SUMMARY: Best-of-N Accuracy (top partial score per problem)",
    "=".repeat(80),
    "Threshold   mean           min            last           whole",
    "-".repeat(80),
    "τ=128       16.86% (29)    15.70% (27)    14.53% (25)    n/a",
    "τ=2048      16.86% (29)    15.70% (27)    14.53% (25)    11.63% (20)",
    "-".repeat(80),
    "Cells: accuracy (problems solved) over 172 problems. Baselines:",
    "Majority vote            14.53% (25/172)",
    "Mean single-sample       11.92% (20.50/172)",
    "pass@64                  30.23% (52/172)",
    "=".repeat(80),
    "",
  ].join("\n"));
  for (const line of out.split("\n")) assert.ok(line.length <= 80 && line === line.trimEnd(), line);
  const noN = renderBestOfNTable("T", [128], ["mean"], () => acc(1, 2), { majority: acc(1, 2), meanSingle: acc(1, 2), passAtN: acc(2, 2) });
  assert.match(noN, /\npass@N {18}100\.00% \(2\/2\)\n/);
});

test("the details table: r, CI, p and n per cell; reasons for n/a", () => {
  const out = renderCorrelationDetails("DETAILS", [128], ["mean", "whole"], (_t, agg) =>
    agg === "mean"
      ? { r: -0.828503883588428, n: 7, p: 0.021280260007523286, ci95: [-0.9739212552869811, -0.2006064740056851] }
      : { r: null, n: 7, p: null, ci95: null, reason: "constant y: all 7 values are 1" });
  assert.deepEqual(out.split("\n").slice(3, 8), [
    "Threshold   Aggregation        r   95% CI                     p        n",
    "-".repeat(80),
    "τ=128       mean          -0.829   [-0.974, -0.201]      0.0213        7",
    "τ=128       whole            n/a   constant y: all 7 values are 1",
    "=".repeat(80),
  ]);
  assert.equal(formatP(8.5720899714133688e-12), "8.57e-12");
  assert.equal(formatP(0.00012), "0.0001");
  assert.equal(formatP(0), "0");
});

test("the plot of the seed's numbers (deterministic)", () => {
  const out = renderCorrelationPlot("r (Partial → Correctness) vs τ", TAUS, AGGS, seedCell);
  assert.equal(out, PLOT_SNAPSHOT);
  for (const line of out.split("\n")) assert.ok(line.length <= 80 && line === line.trimEnd(), line);
});

test("the plot: one series is joined by dots; null r leaves a gap; nothing to plot says so", () => {
  const one = renderCorrelationPlot("r", [128, 256], ["mean"], (tau) => ({ r: tau === 128 ? 0.1 : 0.3, n: 10, p: null, ci95: null }));
  const lines = one.split("\n");
  assert.equal(lines[1], "0.30 |          *");
  assert.equal(lines[3], "0.28 |         .");
  assert.equal(lines[21], "0.10 |*");
  assert.equal(lines[22], "     +---------+");
  assert.equal(lines[23], "      128       256");
  const gap = renderCorrelationPlot("r", [128, 256, 512], ["mean"], (tau) => ({ r: tau === 256 ? null : 0.5, n: 10, p: null, ci95: null }));
  assert.ok(gap.split("\n").every((l) => !l.includes("|") || !l.split("|")[1].includes(".")), gap);
  assert.match(gap, /\n0\.50 \|\* {19}\*\n/);
  assert.equal(renderCorrelationPlot("r", [128], ["mean"], () => ({ r: null, n: 1, p: null, ci95: null, reason: "n < 3 (got 1 pair)" })),
    "r\n(no defined correlation to plot)\n");
});
