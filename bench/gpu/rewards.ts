import type { ScoreDocument } from "../../src/score/document.js";

/** Every step and whole reward of a score document, in document order: what two runs of one file are compared on. */
export function documentRewards(doc: ScoreDocument): number[] {
  const out: number[] = [];
  for (const file of doc.files) {
    for (const problem of file.problems) {
      for (const solution of problem.solutions) {
        for (const view of Object.values(solution.views ?? {})) {
          out.push(...view.step_rewards);
          if (view.whole_reward !== undefined) out.push(view.whole_reward);
        }
      }
    }
  }
  return out;
}

/** The largest |a[i] − b[i]| (a loop: a full file holds too many rewards to spread into Math.max), or a note when the counts differ. */
export function maxRewardDifference(a: readonly number[], b: readonly number[]): number | string {
  if (a.length !== b.length) return `different counts ${a.length} vs ${b.length}`;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
