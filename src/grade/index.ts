/**
 * MathArena-compatible answer grading: extract the final answer of a solution, normalise it and
 * compare it with the gold answer the way MathArena's parser does (eth-sri/matharena,
 * `src/matharena/parser.py`), with bounded work per answer.
 */
export { extractAnswer, lastInteger, findLastBoxed, replaceUnicode, type AnswerSource } from "./extract.js";
export { parseAnswer, showAnswer, type Answer } from "./answer.js";
export { checkAnswers, numbersEqual, TOLERANCE } from "./compare.js";
export {
  gradeAnswer, gradeWithGold, prepareGold, parseModelAnswer, isUnparseable,
  type GradeOptions, type PreparedGold, type Verdict,
} from "./grade.js";
export {
  gradeGenFile, majorityVote,
  type GenFileGrade, type ProblemGrade, type SolutionGrade, type MajorityVote,
} from "./gen-file.js";
export { formatVerdict, formatGenReport, genReportJson, type GradedFile } from "./report.js";
export { normalizeAnswer, removeOuterBrackets } from "./normalize.js";
export { LIMITS } from "./limits.js";
