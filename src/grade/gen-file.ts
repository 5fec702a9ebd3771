import type { GenFile } from "../gen/schema.js";
import type { Answer } from "./answer.js";
import { checkAnswers } from "./compare.js";
import { gradeDetailed, isUnparseable, prepareGold, type GradeOptions, type Verdict } from "./grade.js";

export interface SolutionGrade extends Verdict {
  /** Position of the solution in its problem's `solutions`. */
  index: number;
  unparseable: boolean;
}

export interface MajorityVote {
  /** Normal form of the winning answer; null when no solution had a usable answer. */
  answer: string | null;
  votes: number;
  correct: boolean;
}

export interface ProblemGrade {
  /** The problem's `index` in the gen file. */
  index: number;
  gold: string;
  normalizedGold: string;
  solutions: SolutionGrade[];
  correct: number;
  /** correct / number of solutions (0 when there are none). */
  passRate: number;
  /** At least one solution is correct. */
  passAtN: boolean;
  majority: MajorityVote;
}

export interface GenFileGrade {
  dataset: string;
  model: string;
  N: number;
  problems: ProblemGrade[];
  solutions: number;
  correct: number;
  unparseable: number;
  /** Mean over problems of the per-problem pass rate (expected single-sample accuracy). */
  accuracy: number;
  /** Share of problems whose majority answer is correct. */
  majorityAccuracy: number;
  /** Share of problems with at least one correct solution. */
  passAtN: number;
}

/**
 * Majority vote over the solutions' parsed answers. Answers are grouped by the grader's own
 * equivalence (`0.5` and `\frac12` vote together); unusable answers (none, unparseable, empty
 * box) do not vote. The largest group wins; a tie goes to the group whose first member comes
 * first. The vote is correct when that first member was graded correct.
 */
export function majorityVote(answers: (Answer | null)[], verdicts: SolutionGrade[]): MajorityVote {
  const groups: { rep: Answer; first: number; votes: number }[] = [];
  answers.forEach((a, i) => {
    if (!a || verdicts[i].unparseable) return;
    const g = groups.find((x) => checkAnswers(a, x.rep));
    if (g) g.votes++;
    else groups.push({ rep: a, first: i, votes: 1 });
  });
  let best: (typeof groups)[number] | undefined;
  for (const g of groups) if (!best || g.votes > best.votes) best = g;
  if (!best) return { answer: null, votes: 0, correct: false };
  return { answer: verdicts[best.first].normalizedAnswer, votes: best.votes, correct: verdicts[best.first].correct };
}

/**
 * Grade every solution of a `prm-rel gen` file against its problem's gold (`String(gold_answer)`).
 * @example
 * const g = gradeGenFile({ metadata: { model_name: "m", dataset: "d", N: 2 }, results: [
 *   { index: 0, question: "1+1?", gold_answer: 2, solutions: [{ text: "\\boxed{2}", num_tokens: 3 }, { text: "3", num_tokens: 1 }] },
 * ] });
 * g.accuracy // 0.5
 * g.passAtN // 1
 */
export function gradeGenFile(file: GenFile, opts: GradeOptions = {}): GenFileGrade {
  const problems: ProblemGrade[] = file.results.map((p) => {
    const gold = prepareGold(p.gold_answer);
    const answers: (Answer | null)[] = [];
    const solutions = p.solutions.map((s, index): SolutionGrade => {
      const { verdict: v, answer } = gradeDetailed(s.text, gold, opts);
      answers.push(answer);
      return { ...v, index, unparseable: isUnparseable(v) };
    });
    const correct = solutions.filter((s) => s.correct).length;
    return {
      index: p.index,
      gold: gold.text,
      normalizedGold: gold.normalized,
      solutions,
      correct,
      passRate: solutions.length ? correct / solutions.length : 0,
      passAtN: correct > 0,
      majority: majorityVote(answers, solutions),
    };
  });
  const n = problems.length || 1;
  return {
    dataset: file.metadata.dataset,
    model: file.metadata.model_name,
    N: file.metadata.N,
    problems,
    solutions: problems.reduce((a, p) => a + p.solutions.length, 0),
    correct: problems.reduce((a, p) => a + p.correct, 0),
    unparseable: problems.reduce((a, p) => a + p.solutions.filter((s) => s.unparseable).length, 0),
    accuracy: problems.reduce((a, p) => a + p.passRate, 0) / n,
    majorityAccuracy: problems.filter((p) => p.majority.correct).length / n,
    passAtN: problems.filter((p) => p.passAtN).length / n,
  };
}
