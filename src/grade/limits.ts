/**
 * Bounds on the work one answer may cost. Garbage (megabytes of braces, `\frac` nested ten
 * thousand deep, `10^{10^{10}}`) must come back with a verdict in milliseconds, never hang.
 * Anything over a bound is treated as an answer that does not parse (verdict: incorrect).
 */
export const LIMITS = {
  /** Characters of a solution text that are searched at all (the tail is kept: answers come last). */
  maxTextChars: 4_000_000,
  /** Characters of one extracted answer (box content) that are parsed. */
  maxAnswerChars: 20_000,
  /** Nesting depth of brackets, groups and commands inside one expression. */
  maxDepth: 120,
  /** Elements of one answer list (the gold's comma-separated forms). */
  maxListItems: 1_000,
  /** Bits of an exact integer (numerator or denominator) kept exact; larger goes to a float. */
  maxExactBits: 200_000,
  /** Largest n for which n! is computed exactly. */
  maxFactorial: 5_000,
  /** Digits of an integer literal accepted. */
  maxDigits: 20_000,
} as const;

/** Thrown inside the grader when a bound is exceeded; caught at the answer boundary. */
export class GradeLimitError extends Error {
  override name = "GradeLimitError";
}
