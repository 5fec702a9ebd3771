/** The statistics core: correlations with uncertainty, Best-of-N and its baselines. */
export type { AccuracyResult, Candidate, CorrelationResult, Problem } from "./types.js";
export { StatsError, type StatsErrorCode } from "./errors.js";
export { pearson, pearsonPValue } from "./pearson.js";
export { fisherCI95, Z_975 } from "./fisher-ci.js";
export { studentTTwoSidedP } from "./student-t.js";
export { logBeta, regularizedIncompleteBeta } from "./incomplete-beta.js";
export { bestOfN, majorityIndex, majorityVote, meanAccuracy, passAtN, pickBest } from "./bestofn.js";
