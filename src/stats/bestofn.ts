import { StatsError } from "./errors.js";
import type { AccuracyResult, Candidate, Problem } from "./types.js";

/*
 * Best-of-N and its baselines. Every function takes the problems of one or more data files; to
 * pool several files (the seed's "MathArena mix"), concatenate their problem arrays.
 * A problem with no candidates counts, and counts as unsolved.
 */

/**
 * Index of the candidate Best-of-N picks: the highest score; ties go to the lowest index; a
 * `null` score is never picked. `null` when no candidate has a score.
 *
 * @throws {StatsError} `non-finite` when a score is NaN or ±Infinity (use `null` for "no score")
 * @example
 * pickBest([{ correct: false, score: 0.9, answer: "1" }, { correct: true, score: 0.9, answer: "2" }]); // => 0
 * pickBest([{ correct: false, score: null, answer: "1" }]); // => null
 * pickBest([{ correct: false, score: 0.5, answer: "1" }, { correct: true, score: 0.5004, answer: "2" }], 1e-3); // => 0
 */
export function pickBest(problem: Problem, tolerance = 0): number | null {
  let max: number | null = null;
  for (let i = 0; i < problem.length; i++) {
    const s = problem[i].score;
    if (s === null) continue;
    if (!Number.isFinite(s)) throw new StatsError(`best-of-N: candidate ${i} has score ${s}; use null for a missing score`, "non-finite");
    if (max === null || s > max) max = s;
  }
  if (max === null) return null;
  // Scores within `tolerance` of the top are ties, and ties go to the lowest index: float noise
  // (batch-dependent kernels) must not decide between solutions the PRM scores alike.
  return problem.findIndex((c) => c.score !== null && c.score >= max! - tolerance);
}

/**
 * Best-of-N accuracy: in each problem pick the top-scored candidate ({@link pickBest}) and count
 * the problem solved when that candidate is correct; accuracy = solved / problems.
 *
 * @throws {StatsError} `empty` when there are no problems; `non-finite` on a NaN/±Infinity score
 * @example
 * bestOfN([
 *   [{ correct: false, score: 0.2, answer: "3" }, { correct: true, score: 0.8, answer: "7" }],
 *   [{ correct: true, score: 0.1, answer: "5" }, { correct: false, score: 0.6, answer: "4" }],
 * ]); // => { correct: 1, total: 2, accuracy: 0.5 }
 */
export function bestOfN(problems: readonly Problem[], tolerance = 0): AccuracyResult {
  return countSolved(problems, "best-of-N", (p) => {
    const i = pickBest(p, tolerance);
    return i !== null && p[i].correct;
  });
}

/**
 * Majority-vote accuracy: in each problem take the most frequent non-null answer (ties → the
 * answer that appears first) and count the problem solved when the first candidate giving that
 * answer is correct. A problem whose answers are all null is unsolved.
 *
 * Answers are compared after `key` (default: trimmed string). Pass the grader's normalisation
 * when the candidates' `answer` fields are raw.
 *
 * @throws {StatsError} `empty` when there are no problems
 * @example
 * majorityVote([
 *   [{ correct: false, score: null, answer: "3" }, { correct: true, score: null, answer: "7" },
 *    { correct: true, score: null, answer: "7" }],
 * ]); // => { correct: 1, total: 1, accuracy: 1 }
 */
export function majorityVote(problems: readonly Problem[], key: (answer: string) => string = (a) => a.trim()): AccuracyResult {
  return countSolved(problems, "majority vote", (p) => {
    const winner = majorityIndex(p, key);
    return winner !== null && p[winner].correct;
  });
}

/**
 * Index of the first candidate carrying the majority answer of a problem (see
 * {@link majorityVote}), or `null` when every answer is null.
 *
 * @example
 * majorityIndex([{ correct: false, score: null, answer: "a" }, { correct: true, score: null, answer: "b" }]); // => 0
 */
export function majorityIndex(problem: Problem, key: (answer: string) => string = (a) => a.trim()): number | null {
  const tally = new Map<string, { count: number; first: number }>();
  problem.forEach((c, i) => {
    if (c.answer === null) return;
    const k = key(c.answer);
    const t = tally.get(k);
    if (t) t.count++;
    else tally.set(k, { count: 1, first: i });
  });
  let best: { count: number; first: number } | null = null;
  for (const t of tally.values()) {
    if (best === null || t.count > best.count || (t.count === best.count && t.first < best.first)) best = t;
  }
  return best === null ? null : best.first;
}

/**
 * Mean single-sample accuracy: the mean over problems of each problem's fraction of correct
 * candidates — the expected accuracy of drawing one solution per problem at random.
 * `correct` is that expected number of problems solved (not necessarily an integer); with the
 * same N for every problem it equals correct samples / N.
 *
 * @throws {StatsError} `empty` when there are no problems
 * @example
 * meanAccuracy([
 *   [{ correct: true, score: null, answer: "1" }, { correct: false, score: null, answer: "2" }],
 *   [{ correct: true, score: null, answer: "3" }, { correct: true, score: null, answer: "3" }],
 * ]); // => { correct: 1.5, total: 2, accuracy: 0.75 }
 */
export function meanAccuracy(problems: readonly Problem[]): AccuracyResult {
  requireProblems(problems, "mean accuracy");
  let correct = 0;
  for (const p of problems) {
    if (p.length === 0) continue;
    correct += p.filter((c) => c.correct).length / p.length;
  }
  return { correct, total: problems.length, accuracy: correct / problems.length };
}

/**
 * pass@N (oracle Best-of-N): a problem counts as solved when any of its candidates is correct.
 *
 * @throws {StatsError} `empty` when there are no problems
 * @example
 * passAtN([
 *   [{ correct: false, score: null, answer: "1" }, { correct: true, score: null, answer: "2" }],
 *   [{ correct: false, score: null, answer: "3" }],
 * ]); // => { correct: 1, total: 2, accuracy: 0.5 }
 */
export function passAtN(problems: readonly Problem[]): AccuracyResult {
  return countSolved(problems, "pass@N", (p) => p.some((c: Candidate) => c.correct));
}

function countSolved(problems: readonly Problem[], what: string, solved: (p: Problem) => boolean): AccuracyResult {
  requireProblems(problems, what);
  let correct = 0;
  for (const p of problems) if (solved(p)) correct++;
  return { correct, total: problems.length, accuracy: correct / problems.length };
}

function requireProblems(problems: readonly Problem[], what: string): void {
  if (problems.length === 0) throw new StatsError(`${what}: no problems to score`, "empty");
}
