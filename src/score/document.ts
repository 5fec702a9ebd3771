import type { ViewScores } from "./plan.js";
import type { AccuracyResult, CorrelationResult } from "../stats/types.js";

/**
 * The `prm-rel score` output file. Everything a table needs is in here, so `--from_results`
 * rebuilds every table without a model.
 *
 * - `files[].problems[].solutions[].views`: the scores of each view — one per threshold (keyed by
 *   τ as a string) and `full` (the whole solution) — each with the step rewards, the `whole`
 *   reward and the score of every aggregation. Absent on solutions not scored yet (partial run).
 * - `analysis`: correlations and Best-of-N per data file (keyed by its path) and pooled over all
 *   files (key `POOLED`), recomputed from `files` whenever the file is written.
 */
export const FULL_VIEW = "full";
export const POOLED = "pooled";
export const POOLED_TITLE = "all data files pooled (MathArena mix)";

export interface ScoredSolution {
  sample: number;
  correct: boolean;
  extracted: string | null;
  /** Normalised extracted answer (majority vote key). */
  answer: string | null;
  num_tokens: number;
  /** Generator tokens of the text as re-tokenized here (τ counts these). */
  gen_tokens?: number;
  views?: Record<string, ViewScores>;
}

export interface ScoredProblem {
  index: number;
  gold_answer: string | number;
  solutions: ScoredSolution[];
}

export interface ScoredFile {
  data_file: string;
  dataset: string;
  model_name: string;
  N: number;
  problems: ScoredProblem[];
}

export interface Analysis {
  /** Pooled solutions with scores (correlations use only those). */
  scored_solutions: number;
  partial_to_correctness: Record<string, Record<string, CorrelationResult>>;
  partial_to_final: Record<string, Record<string, CorrelationResult>>;
  final_to_correctness: Record<string, CorrelationResult>;
  best_of_n: {
    /** Per τ (and `full`) × aggregation; null when no problem has a scored solution. */
    by_view: Record<string, Record<string, AccuracyResult | null>>;
    majority: AccuracyResult;
    mean_single: AccuracyResult;
    pass_at_n: AccuracyResult;
    n?: number;
  };
}

export interface ScoreDocument {
  metadata: {
    tool: string;
    version: string;
    status: "complete" | "partial";
    fingerprint: string;
    settings: {
      data_files: string[];
      prm_model: string;
      token_thresholds: number[];
      aggregation_methods: string[];
      [key: string]: unknown;
    };
    [key: string]: unknown;
  };
  files: ScoredFile[];
  analysis: Record<string, Analysis>;
}

/** Pretty JSON, except that arrays of numbers (step rewards) stay on one line. */
export function formatDocument(doc: ScoreDocument): string {
  return (
    JSON.stringify(doc, null, 2).replace(/\[\n\s*((?:-?[\d.e+-]+,\n\s*)*-?[\d.e+-]+)\n\s*\]/g, (_m, inner: string) => `[${inner.replace(/,\n\s*/g, ", ")}]`) + "\n"
  );
}
