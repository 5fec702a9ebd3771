import { UserError } from "../errors.js";
import type { PrmScorer } from "../prm/family.js";
import type { Aggregation } from "./aggregate.js";
import { FULL_VIEW, type ScoredFile, type ScoredSolution } from "./document.js";
import type { EngineJob } from "./engine.js";
import { naiveItems, planSolution, type SolutionPlan } from "./plan.js";
import { truncate, type TextTokenizer } from "./truncate.js";

/** What a job carries back to the caller when its rewards are in. */
export interface SolutionKey {
  solution: ScoredSolution;
  plan: SolutionPlan;
  /** Tokens the naive method would evaluate for this solution (one fresh pass per τ × aggregation). */
  naiveTokens: number;
}

export interface JobSource {
  file: ScoredFile;
  question: (problem: number) => string;
  text: (problem: number, sample: number) => string;
  tokenizer: TextTokenizer;
}

/** Views of a solution: one per threshold, then the full solution. */
export function viewNames(thresholds: readonly number[]): string[] {
  return [...thresholds.map(String), FULL_VIEW];
}

/**
 * Jobs for every solution not scored yet, planned lazily (a plan holds every item's tokens: a few
 * MB per solution at 2048-token solutions, so they are never all in memory at once).
 */
export function* solutionJobs(
  sources: readonly JobSource[],
  scorer: PrmScorer,
  thresholds: readonly number[],
  aggregations: readonly Aggregation[],
): Generator<EngineJob<SolutionKey>> {
  const needWhole = aggregations.includes("whole");
  for (const src of sources) {
    for (let p = 0; p < src.file.problems.length; p++) {
      const problem = src.file.problems[p];
      for (const solution of problem.solutions) {
        if (solution.views) continue;
        const text = src.text(p, solution.sample);
        const cut = truncate(text, src.tokenizer, thresholds);
        solution.gen_tokens = cut.length;
        const plan = planSolution(scorer, src.question(p), [...cut.texts, text], needWhole);
        const naiveTokens = naiveItems(plan, thresholds.length, aggregations).reduce((n, item) => n + item.tokens.length, 0);
        yield { key: { solution, plan, naiveTokens }, items: plan.items };
      }
    }
  }
}

/**
 * A bound on the longest PRM sequence any solution needs, checked against the PRM's trained
 * context: a longer solution is one UserError naming it, before anything is scored or written.
 * Every item of a solution is at most its full text step-separated (partial texts are prefixes;
 * the whole-text item tokenizes the same text with one separator instead of one per step), plus
 * one token per step for tokenizer merges across the separators. One encode per solution; the
 * engine still refuses any item longer than the context.
 */
export function longestSequence(sources: readonly JobSource[], scorer: PrmScorer, trainContext: number): number {
  let longest = 0;
  for (const src of sources) {
    for (let p = 0; p < src.file.problems.length; p++) {
      for (const solution of src.file.problems[p].solutions) {
        const text = src.text(p, solution.sample);
        const steps = scorer.splitSteps(text);
        const n = scorer.encode(src.question(p), steps).tokens.length + steps.length;
        if (n > trainContext) {
          throw new UserError(
            `${src.file.data_file}: problem ${src.file.problems[p].index} solution ${solution.sample} needs ${n} PRM tokens, ` +
              `more than the PRM's context of ${trainContext}; lower the generator's max_tokens or use a PRM with a longer context`,
          );
        }
        longest = Math.max(longest, n);
      }
    }
  }
  return longest;
}
