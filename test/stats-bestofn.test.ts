import { test } from "node:test";
import assert from "node:assert/strict";
import { bestOfN, majorityIndex, majorityVote, meanAccuracy, passAtN, pickBest } from "../src/stats/bestofn.js";
import { StatsError } from "../src/stats/errors.js";
import type { Candidate, Problem } from "../src/stats/types.js";

const c = (correct: boolean, score: number | null, answer: string | null = null): Candidate => ({ correct, score, answer });

test("pickBest: argmax, ties to the lowest index, null scores never chosen", () => {
  assert.equal(pickBest([c(false, 0.2), c(true, 0.9), c(false, 0.5)]), 1);
  assert.equal(pickBest([c(false, 0.7), c(true, 0.7)]), 0);
  assert.equal(pickBest([c(false, null), c(true, 0.1), c(false, 0.1)]), 1);
  assert.equal(pickBest([c(false, null), c(true, -3)]), 1); // a negative score still beats "no score"
  assert.equal(pickBest([c(false, null), c(true, null)]), null);
  assert.equal(pickBest([]), null);
  assert.throws(() => pickBest([c(true, NaN)]), (e: unknown) => e instanceof StatsError && e.code === "non-finite");
});

test("bestOfN counts problems whose top-scored solution is correct", () => {
  const problems: Problem[] = [
    [c(false, 0.2), c(true, 0.8)], // picks 1: correct
    [c(true, 0.1), c(false, 0.6)], // picks 1: wrong
    [c(true, 0.5), c(false, 0.5)], // tie → index 0: correct
    [c(true, null), c(true, null)], // nothing scored: unsolved
    [], // no candidates: unsolved
  ];
  assert.deepEqual(bestOfN(problems), { correct: 2, total: 5, accuracy: 0.4 });
});

test("Best-of-N pooled over files = over the concatenated problems (seed: 29/172)", () => {
  const solved = (n: number, of: number): Problem[] =>
    Array.from({ length: of }, (_, i) => [c(false, 0.3), c(i < n, 0.9)]);
  const files = [solved(5, 30), solved(4, 30), solved(8, 40), solved(6, 30), solved(1, 12), solved(5, 30)];
  const pooled = bestOfN(files.flat());
  assert.deepEqual(pooled, { correct: 29, total: 172, accuracy: 29 / 172 });
  assert.equal((pooled.accuracy * 100).toFixed(2), "16.86");
});

test("majorityVote: most frequent non-null answer, ties to the first seen", () => {
  const problems: Problem[] = [
    [c(false, null, "3"), c(true, null, "7"), c(true, null, " 7 ")], // "7" ×2 (trimmed) → correct
    [c(true, null, "1"), c(false, null, "2"), c(false, null, "2"), c(true, null, "1")], // tie 2:2 → "1" first → correct
    [c(false, null, "4"), c(true, null, "5"), c(true, null, "5"), c(false, null, "4"), c(false, null, "4")], // "4" → wrong
    [c(true, null, null), c(true, null, null)], // no answers → unsolved
  ];
  assert.deepEqual(majorityVote(problems), { correct: 2, total: 4, accuracy: 0.5 });
  assert.equal(majorityIndex(problems[1]), 0);
  assert.equal(majorityIndex(problems[2]), 0);
  assert.equal(majorityIndex(problems[3]), null);
  // a caller-supplied normalisation merges equivalent spellings
  const loose: Problem = [c(false, null, "a"), c(true, null, "\\frac{1}{2}"), c(true, null, "1/2")];
  assert.equal(majorityIndex(loose, (s) => (s === "1/2" ? "\\frac{1}{2}" : s)), 1);
});

test("meanAccuracy is the mean per-problem fraction correct; passAtN is any correct", () => {
  const problems: Problem[] = [
    [c(true, null), c(false, null)], // 1/2
    [c(true, null), c(true, null), c(true, null), c(false, null)], // 3/4
    [c(false, null)], // 0
    [], // 0
  ];
  const mean = meanAccuracy(problems);
  assert.equal(mean.total, 4);
  assert.equal(mean.correct, 1.25);
  assert.equal(mean.accuracy, 0.3125);
  assert.deepEqual(passAtN(problems), { correct: 2, total: 4, accuracy: 0.5 });
  // with a constant N, correct = correct samples / N
  const constN: Problem[] = [[c(true, 1), c(true, 1), c(false, 1), c(false, 1)], [c(true, 1), c(false, 1), c(false, 1), c(false, 1)]];
  assert.equal(meanAccuracy(constN).correct, 3 / 4);
});

test("no problems at all is an error, not NaN", () => {
  for (const f of [bestOfN, majorityVote, meanAccuracy, passAtN]) {
    assert.throws(() => f([]), (e: unknown) => e instanceof StatsError && e.code === "empty");
  }
});

test("pickBest/bestOfN: scores within the tolerance of the top are ties, lowest index wins", () => {
  const problem = [
    { correct: false, score: 0.5, answer: "1" },
    { correct: true, score: 0.5004, answer: "2" },
    { correct: true, score: 0.4, answer: "2" },
  ];
  // Hand-computed: max = 0.5004; with tolerance 1e-3 every score >= 0.4994 ties → index 0.
  assert.equal(pickBest(problem), 1);
  assert.equal(pickBest(problem, 1e-3), 0);
  assert.deepEqual(bestOfN([problem], 1e-3), { correct: 0, total: 1, accuracy: 0 });
  assert.deepEqual(bestOfN([problem]), { correct: 1, total: 1, accuracy: 1 });
});
