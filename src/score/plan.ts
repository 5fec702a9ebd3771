import type { Encoded, PrmScorer } from "../prm/family.js";
import { aggregate, type Aggregation, type Rewards } from "./aggregate.js";

/**
 * What the PRM must evaluate for one solution. A *view* is one text to score: each threshold's
 * truncation, then the full solution (the last view). Every distinct text gets one step-separated
 * item and, when `whole` is asked for, one whole-text item. Items go longest first, step items then
 * whole items: a τ view's tokens are the full text's up to the cut plus a separator, so after the full
 * text has been evaluated (one long decode, every step's reward read in it) each shorter view only
 * erases back to its cut and evaluates the separator (a decode of a few tokens). Shortest first
 * evaluates the same tokens as a chain of mid-sized decodes; on a GPU a decode costs at least one
 * pass over the weights (and, where llama.cpp dequantizes for cuBLAS, a dequantization), so fewer
 * long decodes are faster.
 */
export interface SolutionPlan {
  items: Encoded[];
  /** Per view: index into `items` of its step pass. */
  stepItem: number[];
  /** Per view: index into `items` of its whole pass, or -1. */
  wholeItem: number[];
}

export function planSolution(scorer: PrmScorer, question: string, viewTexts: readonly string[], needWhole: boolean): SolutionPlan {
  const distinct = [...new Set(viewTexts)].sort((a, b) => b.length - a.length);
  const items: Encoded[] = [];
  const stepIndex = new Map<string, number>();
  for (const text of distinct) {
    stepIndex.set(text, items.length);
    items.push(scorer.encode(question, scorer.splitSteps(text)));
  }
  const wholeIndex = new Map<string, number>();
  if (needWhole) {
    for (const text of distinct) {
      wholeIndex.set(text, items.length);
      items.push(scorer.encode(question, [text]));
    }
  }
  return {
    items,
    stepItem: viewTexts.map((t) => stepIndex.get(t)!),
    wholeItem: viewTexts.map((t) => wholeIndex.get(t) ?? -1),
  };
}

/**
 * The naive method's items for one solution (what the released script evaluated): for every
 * threshold view and every aggregation, one fresh pass — the step item for mean/min/last, the whole
 * item for whole. Used by the benchmark and the equivalence tests.
 */
export function naiveItems(plan: SolutionPlan, views: number, aggregations: readonly Aggregation[]): Encoded[] {
  const out: Encoded[] = [];
  for (let v = 0; v < views; v++) {
    for (const agg of aggregations) out.push(plan.items[agg === "whole" ? plan.wholeItem[v] : plan.stepItem[v]]);
  }
  return out;
}

export interface ViewScores {
  step_rewards: number[];
  whole_reward?: number;
  scores: Partial<Record<Aggregation, number>>;
}

/** Step rewards and aggregated scores of every view, from the rewards of each plan item. */
/** Rewards are kept to 7 significant digits (far below the read-out's precision; keeps the output small). */
export const roundReward = (x: number): number => Number(x.toPrecision(7));

export function viewScores(plan: SolutionPlan, itemRewards: readonly number[][], aggregations: readonly Aggregation[]): ViewScores[] {
  return plan.stepItem.map((si, v) => {
    const whole = plan.wholeItem[v] >= 0 ? roundReward(itemRewards[plan.wholeItem[v]][0]) : undefined;
    const rewards: Rewards = { steps: itemRewards[si].map(roundReward), whole };
    const scores: Partial<Record<Aggregation, number>> = {};
    for (const agg of aggregations) scores[agg] = aggregate(agg, rewards);
    return { step_rewards: [...rewards.steps], ...(rewards.whole !== undefined ? { whole_reward: rewards.whole } : {}), scores };
  });
}
