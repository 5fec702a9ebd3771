import { bestOfN, majorityVote, meanAccuracy, passAtN, pearson } from "../stats/index.js";
import type { CorrelationResult, Problem } from "../stats/types.js";
import type { Aggregation } from "./aggregate.js";

/**
 * PRM scores closer than this count as a tie in Best-of-N (lowest index wins). Step rewards are
 * exact to about 2e-4 on the CPU and 2e-3 on CUDA, and vary by ~1e-4 with the batch schedule; at
 * small τ many solutions share their first tokens, so without a tolerance float noise would pick.
 */
export const SCORE_TIE_TOLERANCE = 1e-3;
import { FULL_VIEW, POOLED, type Analysis, type ScoredFile, type ScoredProblem } from "./document.js";

/**
 * Correlations and Best-of-N of one set of problems (one data file, or all pooled), from the scores
 * alone. Pearson r is over one pooled vector of every scored solution (all problems × N samples):
 * partial→correctness (the seed's table), partial→full-solution score (same aggregation) and
 * full-solution score→correctness.
 */
export function analyze(problems: readonly ScoredProblem[], thresholds: readonly number[], aggregations: readonly string[]): Analysis {
  const solutions = problems.flatMap((p) => p.solutions.filter((s) => s.views));
  const correct = solutions.map((s) => (s.correct ? 1 : 0));
  const score = (view: string, agg: string) => solutions.map((s) => s.views![view]?.scores[agg as Aggregation] as number);
  const corr = (x: number[], y: number[]): CorrelationResult =>
    x.length === 0 ? { r: null, n: 0, p: null, ci95: null, reason: "no scored solutions" } : pearson(x, y);

  const partialToCorrectness: Analysis["partial_to_correctness"] = {};
  const partialToFinal: Analysis["partial_to_final"] = {};
  const finalToCorrectness: Analysis["final_to_correctness"] = {};
  for (const agg of aggregations) finalToCorrectness[agg] = corr(score(FULL_VIEW, agg), correct);
  for (const tau of thresholds) {
    partialToCorrectness[tau] = {};
    partialToFinal[tau] = {};
    for (const agg of aggregations) {
      partialToCorrectness[tau][agg] = corr(score(String(tau), agg), correct);
      partialToFinal[tau][agg] = corr(score(String(tau), agg), score(FULL_VIEW, agg));
    }
  }

  const candidates = (view?: string, agg?: string): Problem[] =>
    problems.map((p) =>
      p.solutions.map((s) => ({
        correct: s.correct,
        answer: s.answer,
        score: view && agg && s.views ? (s.views[view]?.scores[agg as Aggregation] ?? null) : null,
      })),
    );
  const byView: Analysis["best_of_n"]["by_view"] = {};
  for (const view of [...thresholds.map(String), FULL_VIEW]) {
    byView[view] = {};
    for (const agg of aggregations) {
      const c = candidates(view, agg);
      byView[view][agg] = c.some((p) => p.some((s) => s.score !== null)) ? bestOfN(c, SCORE_TIE_TOLERANCE) : null;
    }
  }
  const plain = candidates();
  const sizes = new Set(problems.map((p) => p.solutions.length));
  return {
    scored_solutions: solutions.length,
    partial_to_correctness: partialToCorrectness,
    partial_to_final: partialToFinal,
    final_to_correctness: finalToCorrectness,
    best_of_n: {
      by_view: byView,
      majority: majorityVote(plain),
      mean_single: meanAccuracy(plain),
      pass_at_n: passAtN(plain),
      ...(sizes.size === 1 ? { n: [...sizes][0] } : {}),
    },
  };
}

/** Per data file (keyed by path), plus the pooled analysis when there are several files. */
export function analyzeFiles(files: readonly ScoredFile[], thresholds: readonly number[], aggregations: readonly string[]): Record<string, Analysis> {
  const out: Record<string, Analysis> = {};
  for (const f of files) {
    if (f.problems.length > 0) out[f.data_file] = analyze(f.problems, thresholds, aggregations);
  }
  if (files.length > 1) {
    const all = files.flatMap((f) => f.problems);
    if (all.length > 0) out[POOLED] = analyze(all, thresholds, aggregations);
  }
  return out;
}
