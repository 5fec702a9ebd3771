import { parseAnswer, showAnswer, type Answer } from "./answer.js";
import { num } from "./ast.js";
import { checkAnswers } from "./compare.js";
import { findLastBoxed, lastInteger, prepareText, type AnswerSource } from "./extract.js";
import { LIMITS } from "./limits.js";
import { normalizeAnswer } from "./normalize.js";
import type { Prim } from "./primitive.js";
import { q } from "./rational.js";

export interface GradeOptions {
  /** MathArena's strict parsing: no fallback to the last integer (the competitions used off). */
  strict?: boolean;
}

export interface Verdict {
  correct: boolean;
  /** The answer text that was graded (box content, or the fallback integer); null if none. */
  extracted: string | null;
  /** Its normal form (`3/2`, `2*sqrt(3)`, `[1, 2]`); null when it did not parse. */
  normalizedAnswer: string | null;
  normalizedGold: string;
  /** Where `extracted` came from; null when nothing was found. */
  source: AnswerSource | null;
}

/** A gold answer parsed once, for grading many solutions against it. */
export interface PreparedGold {
  text: string;
  listAnswer: boolean;
  answer: Answer | null;
  normalized: string;
}

/**
 * Parse a gold answer (always as `String(gold)`); a comma in it makes it a list answer.
 * @example
 * prepareGold(42).normalized // "42"
 */
export function prepareGold(gold: string | number): PreparedGold {
  const text = String(gold);
  const listAnswer = text.includes(",");
  const answer = parseAnswer(text, listAnswer);
  let normalized = showAnswer(answer);
  if (!answer) {
    try {
      normalized = normalizeAnswer(text, listAnswer);
    } catch {
      normalized = text;
    }
  }
  return { text, listAnswer, answer, normalized };
}

function intPrim(digits: string, loose: boolean): Prim {
  const clean = digits.replace(/[\s_+]/g, "");
  const ast = clean.length <= LIMITS.maxDigits ? num(q(BigInt(clean))) : null;
  return { kind: "prim", ast, loose, text: digits, via: "int" };
}

/** Python's `int(s)`: optional blanks and sign, digits with single underscores between them. */
const PY_INT = /^\s*[+-]?\d(?:_?\d)*\s*$/;

/** The model side of MathArena's `extract_answer`: extraction, int fast path, parse, fallback. */
export function parseModelAnswer(
  text: string,
  listAnswer: boolean,
  opts: GradeOptions = {},
): { extracted: string | null; answer: Answer | null; source: AnswerSource | null } {
  if (typeof text !== "string" || text.length === 0) return { extracted: null, answer: null, source: null };
  const t = prepareText(text);
  const box = findLastBoxed(t, listAnswer);
  if (box) {
    let answer: Answer | null = PY_INT.test(box.answer) ? intPrim(box.answer, false) : parseAnswer(box.answer, listAnswer);
    if (answer?.kind === "list" && answer.top && answer.items.length === 1) answer = answer.items[0];
    if (answer?.kind === "prim" && answer.ast === null) answer = null;
    if (answer || opts.strict) return { extracted: box.answer, answer, source: box.source };
  } else if (opts.strict) {
    return { extracted: null, answer: null, source: null };
  }
  const last = lastInteger(t);
  if (last === null) return { extracted: box?.answer ?? null, answer: null, source: box?.source ?? null };
  return { extracted: last, answer: intPrim(last, true), source: "last-integer" };
}

/** Grade against an already prepared gold, also returning the parsed model answer. */
export function gradeDetailed(text: string, gold: PreparedGold, opts: GradeOptions = {}): { verdict: Verdict; answer: Answer | null } {
  try {
    const { extracted, answer, source } = parseModelAnswer(text, gold.listAnswer, opts);
    const verdict: Verdict = {
      correct: checkAnswers(answer, gold.answer),
      extracted,
      normalizedAnswer: answer ? showAnswer(answer) : null,
      normalizedGold: gold.normalized,
      source,
    };
    return { verdict, answer };
  } catch {
    const verdict = { correct: false, extracted: null, normalizedAnswer: null, normalizedGold: gold.normalized, source: null };
    return { verdict, answer: null };
  }
}

/** Grade against an already prepared gold (what `gradeAnswer` does, minus parsing the gold). */
export function gradeWithGold(text: string, gold: PreparedGold, opts: GradeOptions = {}): Verdict {
  return gradeDetailed(text, gold, opts).verdict;
}

/**
 * Grade a solution text against a gold answer with MathArena's rules. Never throws; the work is
 * bounded (see LIMITS), so garbage gets a verdict (incorrect) in milliseconds.
 * @example
 * gradeAnswer("... so the answer is $\\boxed{042}$.", 42).correct // true
 * gradeAnswer("\\boxed{\\dfrac{\\sqrt{3}}{2}}", "\\frac{1}{2}\\sqrt{3}").correct // true
 * gradeAnswer("\\boxed{(2, 1)}", "(1, 2)").correct // true: lists are unordered in MathArena
 */
export function gradeAnswer(text: string, gold: string | number, opts: GradeOptions = {}): Verdict {
  let prepared: PreparedGold;
  try {
    prepared = prepareGold(gold);
  } catch {
    prepared = { text: String(gold), listAnswer: false, answer: null, normalized: String(gold) };
  }
  return gradeWithGold(text, prepared, opts);
}

/** Whether a verdict's answer is unusable: nothing found, nothing parsed, or an empty box. */
export function isUnparseable(v: Verdict): boolean {
  return v.normalizedAnswer === null || v.normalizedAnswer === "" || v.normalizedAnswer === "[]";
}
