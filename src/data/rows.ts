import { UserError } from "../errors.js";
import type { RawRecord } from "./readers.js";

/** One problem: what gen asks the generator and what grading compares against. */
export interface ProblemRow {
  /** `problem_idx` when every row has a distinct integer one, else the 0-based row position. */
  index: number;
  question: string;
  /** As the file stores it (MathArena: int64 in some sets, string in others); graded as String(gold). */
  gold: string | number;
}

export const QUESTION_COLUMNS = ["problem", "question"] as const;
export const GOLD_COLUMNS = ["answer", "solution"] as const;

function columnsOf(records: RawRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records.slice(0, 100)) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function integerOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim()) && Number.isSafeInteger(Number(value))) return Number(value);
  return undefined;
}

/**
 * Map raw records to problems: question = `problem` ?? `question`, gold = `answer` ?? `solution`
 * (kept as given), index = `problem_idx` if every row has a distinct integer one, else the row
 * position (`warn` says so). Missing columns or empty values: one UserError naming what exists.
 */
export function toProblemRows(records: RawRecord[], what: string, warn?: (msg: string) => void): ProblemRow[] {
  if (records.length === 0) throw new UserError(`${what}: no rows`);
  const columns = columnsOf(records);
  const listed = columns.length ? columns.map((c) => `"${c}"`).join(", ") : "none";
  const qKey = QUESTION_COLUMNS.find((c) => columns.includes(c));
  if (!qKey) throw new UserError(`${what}: no question column (expected "problem" or "question"); its columns are ${listed}`);
  const gKey = GOLD_COLUMNS.find((c) => columns.includes(c));
  if (!gKey) throw new UserError(`${what}: no answer column (expected "answer" or "solution"); its columns are ${listed}`);

  let indices: number[] | undefined;
  if (columns.includes("problem_idx")) {
    const ids = records.map((r) => integerOf(r.problem_idx));
    if (ids.every((x) => x !== undefined) && new Set(ids).size === ids.length) indices = ids as number[];
    else warn?.(`${what}: "problem_idx" is not a distinct integer in every row; using row positions (0-based) as indices`);
  }
  return records.map((r, i) => {
    const question = r[qKey];
    if (typeof question !== "string" || question.trim() === "") {
      throw new UserError(`${what}: row ${i} has no "${qKey}" text`);
    }
    const gold = r[gKey];
    if (typeof gold !== "string" && typeof gold !== "number") {
      throw new UserError(`${what}: row ${i} has no usable "${gKey}" (got ${gold === null ? "null" : typeof gold})`);
    }
    return { index: indices ? indices[i] : i, question, gold };
  });
}
