import { test } from "node:test";
import assert from "node:assert/strict";
import { sampleCorrelation } from "simple-statistics";
import { StatsError } from "../src/stats/errors.js";
import { fisherCI95, Z_975 } from "../src/stats/fisher-ci.js";
import { logBeta, regularizedIncompleteBeta } from "../src/stats/incomplete-beta.js";
import { pearson, pearsonPValue } from "../src/stats/pearson.js";
import { studentTTwoSidedP } from "../src/stats/student-t.js";

/*
 * Reference values. Sources, each independent of the code under test:
 *  [scipy]  SciPy's `scipy.stats.pearsonr` documentation example outputs (quoted digits).
 *  [mpmath] mpmath 1.3.0 at 40–50 significant digits: `betainc(a, b, 0, x, regularized=True)`,
 *           and for p-values also `2*quad(t_density, [|t|, inf])` (numerical integration of the
 *           Student-t density), which agreed with `betainc` to all printed digits.
 *  [hand]   closed forms derived by hand, stated next to each use.
 *  [table]  printed Student-t tables (97.5% quantiles, 3 decimals).
 */

function close(actual: number | null, expected: number, tol: number, what = ""): void {
  assert.ok(actual !== null, `${what}: got null`);
  const err = Math.abs(actual - expected);
  assert.ok(err <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected} (|Δ| = ${err})`);
}

function relClose(actual: number | null, expected: number, rel: number, what = ""): void {
  assert.ok(actual !== null, `${what}: got null`);
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
}

// ---------------------------------------------------------------- regularized incomplete beta

test("incomplete beta: integer shapes equal the binomial tail [hand]", () => {
  // I_x(a, b) = Σ_{j=a}^{a+b−1} C(a+b−1, j) x^j (1−x)^{a+b−1−j}  for integer a, b
  const binom = (n: number, k: number) => { let c = 1; for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i; return c; };
  for (const [a, b] of [[1, 1], [2, 3], [5, 2], [7, 9], [20, 13], [1, 30]]) {
    for (const x of [0.01, 0.2, 0.5, 0.73, 0.99]) {
      let ref = 0;
      for (let j = a; j <= a + b - 1; j++) ref += binom(a + b - 1, j) * x ** j * (1 - x) ** (a + b - 1 - j);
      close(regularizedIncompleteBeta(x, a, b), ref, 1e-13, `I_${x}(${a},${b})`);
    }
  }
  close(regularizedIncompleteBeta(0.5, 2, 3), 11 / 16, 1e-15, "I_0.5(2,3)"); // (6 + 4 + 1) / 16
});

test("incomplete beta: closed forms for half-integer shapes [hand]", () => {
  for (const x of [1e-6, 0.01, 0.25, 0.5, 0.9, 0.999999]) {
    // I_x(1/2, 1/2) = (2/π)·asin(√x)  (the arcsine distribution)
    // (for x > 1/2 use the well-conditioned complement 1 − (2/π)·asin(√(1−x)))
    const arcsine = x <= 0.5 ? (2 / Math.PI) * Math.asin(Math.sqrt(x)) : 1 - (2 / Math.PI) * Math.asin(Math.sqrt(1 - x));
    close(regularizedIncompleteBeta(x, 0.5, 0.5), arcsine, 1e-14, `arcsine ${x}`);
    // I_x(a, 1) = x^a ; I_x(1, b) = 1 − (1−x)^b
    close(regularizedIncompleteBeta(x, 2.5, 1), x ** 2.5, 1e-14, `x^a ${x}`);
    close(regularizedIncompleteBeta(x, 1, 0.5), 1 - Math.sqrt(1 - x), 1e-14, `1-(1-x)^b ${x}`);
    // symmetry I_x(a, b) = 1 − I_{1−x}(b, a)
    close(regularizedIncompleteBeta(x, 3.7, 0.5), 1 - regularizedIncompleteBeta(1 - x, 0.5, 3.7), 1e-14, `symmetry ${x}`);
  }
  assert.equal(regularizedIncompleteBeta(0, 3, 4), 0);
  assert.equal(regularizedIncompleteBeta(1, 3, 4), 1);
});

test("incomplete beta: large and lopsided shapes [mpmath]", () => {
  relClose(regularizedIncompleteBeta(0.3, 5, 0.5), 0.00069130338576297625531, 1e-12, "I_0.3(5, 0.5)");
  relClose(regularizedIncompleteBeta(0.999, 200, 0.5), 0.5272441070252353574, 1e-11, "I_0.999(200, 0.5)");
  relClose(regularizedIncompleteBeta(0.01, 0.5, 0.5), 0.063768560858519847917, 1e-13, "I_0.01(0.5, 0.5)");
  relClose(regularizedIncompleteBeta(0.7, 2000, 1000), 0.99995926172083949206, 1e-11, "I_0.7(2000, 1000)");
  assert.equal(regularizedIncompleteBeta(0.9, 0.5, 400), 1);
});

test("log beta keeps its digits for large shapes [hand, mpmath]", () => {
  close(logBeta(2, 3), Math.log(1 / 12), 1e-15, "ln B(2,3) = ln(1!·2!/4!)");
  // [mpmath] log(beta(a, b)) at 40 digits
  const ref: [number, number, number][] = [
    [5000, 0.5, -3.6862066527834602929], [10, 0.5, -0.56643279639759393488], [9.99, 0.5, -0.56592004929705050924],
    [10, 10, -13.736229227036554814], [15, 0.5, -0.77332836545223203679], [20, 20, -27.951991886244471054], [2000, 1000, -1911.8746142144515688], [1e7, 3e6, -7022660.2579959198312],
  ];
  for (const [a, b, v] of ref) close(logBeta(a, b), v, 2e-15, `ln B(${a}, ${b})`);
});

test("incomplete beta: out-of-domain arguments throw StatsError", () => {
  for (const [x, a, b] of [[-0.1, 1, 1], [1.1, 1, 1], [NaN, 1, 1], [0.5, 0, 1], [0.5, 1, -2], [0.5, Infinity, 1]]) {
    assert.throws(() => regularizedIncompleteBeta(x, a, b), (e: unknown) => e instanceof StatsError && e.code === "domain");
  }
});

// ---------------------------------------------------------------- Student t

test("Student t two-sided p: closed forms for 1, 2, 3 and 5 df [hand]", () => {
  for (const t of [0, 0.1, 0.5, 1, 2, 3.5, 10, 100]) {
    // ν = 1 (Cauchy): P = 1 − (2/π)·atan|t|
    close(studentTTwoSidedP(t, 1), 1 - (2 / Math.PI) * Math.atan(t), 1e-14, `df1 t=${t}`);
    // ν = 2: P = 1 − |t|/√(2 + t²)
    close(studentTTwoSidedP(-t, 2), 1 - t / Math.sqrt(2 + t * t), 1e-14, `df2 t=${t}`);
    // ν = 3, θ = atan(|t|/√3): P = 1 − (2/π)(θ + sinθ cosθ)
    const th3 = Math.atan(t / Math.sqrt(3));
    close(studentTTwoSidedP(t, 3), 1 - (2 / Math.PI) * (th3 + Math.sin(th3) * Math.cos(th3)), 1e-14, `df3 t=${t}`);
    // ν = 5, θ = atan(|t|/√5): P = 1 − (2/π)(θ + sinθ cosθ (1 + (2/3)cos²θ))
    const th5 = Math.atan(t / Math.sqrt(5)), c = Math.cos(th5);
    close(studentTTwoSidedP(t, 5), 1 - (2 / Math.PI) * (th5 + Math.sin(th5) * c * (1 + (2 / 3) * c * c)), 1e-14, `df5 t=${t}`);
  }
  assert.equal(studentTTwoSidedP(Infinity, 4), 0);
  assert.equal(studentTTwoSidedP(0, 4), 1);
});

test("Student t two-sided p: 97.5% table quantiles give 0.05 [table]", () => {
  // t_{0.975, ν} from a standard table (3 decimals; rounding moves p by < 1e-4)
  const table: [number, number][] = [[1, 12.706], [2, 4.303], [5, 2.571], [10, 2.228], [20, 2.086], [30, 2.042], [120, 1.98]];
  for (const [df, t] of table) close(studentTTwoSidedP(t, df), 0.05, 1e-4, `df ${df}`);
  // scipy.stats.t.ppf(0.975, 10) = 2.228138851986274; [mpmath] p there = 0.0500000000000000634
  close(studentTTwoSidedP(2.228138851986274, 10), 0.0500000000000000634, 1e-14, "precise quantile");
});

test("Student t two-sided p: fractional and large df [mpmath]", () => {
  relClose(studentTTwoSidedP(1.5, 2.5), 0.24783645308629626111, 1e-12, "t=1.5 df=2.5");
  relClose(studentTTwoSidedP(3, 30), 0.0053899640656519466128, 1e-12, "t=3 df=30");
  relClose(studentTTwoSidedP(12, 7), 6.3583103781851002706e-6, 1e-11, "t=12 df=7");
  relClose(studentTTwoSidedP(0.1, 1000), 0.92036436902360413112, 1e-12, "t=0.1 df=1000");
  assert.throws(() => studentTTwoSidedP(1, 0), StatsError);
  assert.throws(() => studentTTwoSidedP(NaN, 3), StatsError);
});

// ---------------------------------------------------------------- Fisher z interval

test("Fisher z 95% interval [hand]", () => {
  // r = 0.5, n = 28: z = atanh(0.5) = 0.5493061443340549, half-width = 1.959963984540054/5;
  // tanh(0.1573133474260441) = 0.15602836252908604, tanh(0.9412989412420657) = 0.7358184794439376 [mpmath]
  const ci = fisherCI95(0.5, 28)!;
  close(ci[0], 0.15602836252908603574, 1e-14, "low");
  close(ci[1], 0.73581847944393759287, 1e-14, "high");
  assert.equal(Z_975, 1.959963984540054);
  assert.equal(fisherCI95(0.5, 3), null);
  assert.deepEqual(fisherCI95(1, 10), [1, 1]);
  assert.deepEqual(fisherCI95(-1, 10), [-1, -1]);
  assert.throws(() => fisherCI95(1.01, 10), StatsError);
});

// ---------------------------------------------------------------- Pearson

test("pearson matches scipy.stats.pearsonr's documented examples [scipy, mpmath]", () => {
  // pearsonr([1,2,3,4,5,6,7], [10,9,2.5,6,4,3,2]) -> statistic=-0.828503883588428, pvalue=0.021280260007523286
  const a = pearson([1, 2, 3, 4, 5, 6, 7], [10, 9, 2.5, 6, 4, 3, 2]);
  close(a.r, -0.828503883588428, 1e-14, "r");
  relClose(a.p, 0.021280260007523286, 1e-12, "p");
  assert.equal(a.n, 7);
  // confidence_interval(): Fisher z, [mpmath] (-0.97392125528698111, -0.20060647400568510)
  close(a.ci95![0], -0.97392125528698110529, 1e-13, "ci low");
  close(a.ci95![1], -0.20060647400568510160, 1e-13, "ci high");
  assert.equal(a.reason, undefined);

  // pearsonr([1,2,3,4,5], [10,9,2.5,6,4]) -> (-0.7426106572325057, 0.1505558088534455)
  const b = pearson([1, 2, 3, 4, 5], [10, 9, 2.5, 6, 4]);
  close(b.r, -0.7426106572325057, 1e-14, "r");
  relClose(b.p, 0.1505558088534455, 1e-12, "p");
  close(b.ci95![0], -0.98169180447864636015, 1e-13, "ci low");
  close(b.ci95![1], 0.40501116769030964046, 1e-13, "ci high");
});

test("pearson: scores against 0/1 correctness [mpmath]", () => {
  const x = [0.91, 0.35, 0.78, 0.12, 0.66, 0.5, 0.97, 0.23, 0.41, 0.88];
  const y = [1, 0, 1, 0, 0, 1, 1, 0, 0, 1];
  const res = pearson(x, y);
  close(res.r, 0.79286827130735589709, 1e-14, "r");
  relClose(res.p, 0.0062190997153041092804, 1e-12, "p");
  close(res.ci95![0], 0.32596937724390238831, 1e-13, "ci low");
  close(res.ci95![1], 0.94882897792433567595, 1e-13, "ci high");
  close(res.r, sampleCorrelation(x, y), 1e-14, "same r as simple-statistics");
});

test("pearson: p-values for the pooled sizes of real runs [mpmath]", () => {
  relClose(pearsonPValue(0.155, 1920), 8.5720899714133688319e-12, 1e-12, "r=.155 n=1920");
  relClose(pearsonPValue(0.2, 1920), 8.9592737330383745149e-19, 1e-12, "r=.2 n=1920");
  relClose(pearsonPValue(0.01, 11008), 0.29413336326108111073, 1e-12, "r=.01 n=11008");
  relClose(pearsonPValue(0.001, 1e6), 0.31731099180502856150, 1e-12, "r=.001 n=1e6");
  relClose(pearsonPValue(0.0001, 1e7), 0.75182966344680549092, 1e-12, "r=.0001 n=1e7");
  relClose(pearsonPValue(1e-9, 100), 0.99999999212146943036, 1e-15, "r=1e-9 n=100");
  relClose(pearsonPValue(0.05, 100), 0.62128997784530272868, 1e-12, "r=.05 n=100");
  relClose(pearsonPValue(0.999999, 50), 1.9220857424401102166e-138, 1e-8, "r≈1 n=50");
  // [hand] n = 3 (1 df): p = 1 − (2/π)·asin|r| ;  n = 4 (2 df): p = 1 − |r|
  close(pearsonPValue(0.5, 3), 2 / 3, 1e-14, "n=3");
  close(pearsonPValue(-0.3, 4), 0.7, 1e-14, "n=4");
});

test("pearson: exact and perfect correlations", () => {
  const zero = pearson([1, 2, 3, 4], [2, 4, 1, 3]); // Σ(dx·dy) = 0.75 − 0.75 − 0.75 + 0.75 = 0
  assert.equal(zero.r, 0);
  assert.equal(zero.p, 1);
  close(zero.ci95![1], Math.tanh(1.959963984540054), 1e-15, "ci = ±tanh(1.96/√1)");
  const up = pearson([1, 2, 3, 4, 5], [3, 5, 7, 9, 11]); // deviations exactly proportional
  assert.equal(up.r, 1);
  assert.equal(up.p, 0);
  assert.deepEqual(up.ci95, [1, 1]);
  const down = pearson([0.1, 0.2, 0.3], [1, 0.5, 0]);
  close(down.r, -1, 1e-15);
  assert.equal(down.ci95, null); // n = 3
  assert.ok(down.p !== null && down.p < 1e-6);
});

test("pearson is invariant under affine maps", () => {
  const x = [0.3, 0.9, 0.1, 0.5, 0.75, 0.2], y = [0, 1, 0, 1, 1, 0];
  const base = pearson(x, y);
  const moved = pearson(x.map((v) => 1000 + 3 * v), y.map((v) => -2 * v + 7));
  close(moved.r, -(base.r as number), 1e-12);
  close(moved.p, base.p as number, 1e-10);
});

test("pearson: undefined r is null with a reason, never NaN", () => {
  const scores = Array(64).fill(0.5), correct = Array.from({ length: 64 }, (_, i) => i % 2);
  assert.deepEqual(pearson(scores, correct), { r: null, n: 64, p: null, ci95: null, reason: "constant x: all 64 values are 0.5" });
  assert.deepEqual(pearson(correct, Array(64).fill(0)), { r: null, n: 64, p: null, ci95: null, reason: "constant y: all 64 values are 0" });
  assert.deepEqual(pearson([1, 2], [3, 1]), { r: null, n: 2, p: null, ci95: null, reason: "n < 3 (got 2 pairs)" });
  assert.deepEqual(pearson([], []), { r: null, n: 0, p: null, ci95: null, reason: "n < 3 (got 0 pairs)" });
  // constant values whose mean is inexact in binary (0.1·3/3 ≠ 0.1) are still caught
  assert.equal(pearson([0.1, 0.1, 0.1], [1, 2, 3]).r, null);
});

test("pearson: broken input throws StatsError", () => {
  assert.throws(() => pearson([1, 2, 3], [1, 2]), (e: unknown) => e instanceof StatsError && e.code === "length-mismatch" && /length mismatch/.test(e.message));
  assert.throws(() => pearson([1, NaN, 3], [1, 2, 3]), (e: unknown) => e instanceof StatsError && e.code === "non-finite" && /x\[1\] is NaN/.test(e.message));
  assert.throws(() => pearson([1, 2, 3], [1, 2, Infinity]), (e: unknown) => e instanceof StatsError && e.code === "non-finite");
  assert.throws(() => pearsonPValue(0.5, 2), StatsError);
});
