import { hasFloat, printAst } from "./ast.js";
import { evaluate } from "./evaluate.js";
import { qToString, toDouble } from "./rational.js";
import { LIMITS } from "./limits.js";
import { normalizeAnswer, removeOuterBrackets, removeSpacing, stripAnswer } from "./normalize.js";
import { parsePrimitive, type Prim } from "./primitive.js";

/**
 * A parsed answer: one value, or a list. `top` marks MathArena's AnswerList (the outermost list,
 * compared as an unordered multiset); an inner list is a plain Python list, which MathArena can
 * never match (its comparison raises and counts as wrong).
 */
export type Answer = Prim | { kind: "list"; items: (Answer | null)[]; top: boolean };

const LITERAL_NL = "\\n";

function neverZeroCount(s: string): boolean {
  let count = 0;
  for (const ch of s) {
    if (ch === "(") count++;
    else if (ch === ")") count--;
    if (count === 0) return false;
  }
  return true;
}

function counts(s: string): [number, number] {
  let braces = 0;
  let parens = 0;
  for (const ch of s) {
    if (ch === "{") braces++;
    else if (ch === "}") braces--;
    else if (ch === "(") parens++;
    else if (ch === ")") parens--;
  }
  return [braces, parens];
}

/** MathArena's `ParseList.is_finished`: the element ends with `)` (ignoring commas, blanks). */
function endsList(s: string): boolean {
  return stripAnswer(s).trim().replace(/^,+|,+$/g, "").endsWith(")");
}

class ListBudget {
  steps = 0;
  spend(n: number): void {
    this.steps += n;
    if (this.steps > 20_000_000) throw new Error("list parsing budget exceeded");
  }
}

/**
 * MathArena's `ParseList.parse`: split on literal `\n` if present, else on commas, re-joining
 * pieces until brackets balance; an element starting with `(` is tried as a nested list first.
 * Returns null where MathArena returns None.
 */
function parseList(input: string, depth: number, budget: ListBudget): (Answer | null)[] | null {
  let s = input.trim().replace(/^,+|,+$/g, "");
  if (neverZeroCount(s.slice(0, -1))) s = s.slice(1, -1);
  s = stripAnswer(s);
  const delim = s.includes(LITERAL_NL) || !s.includes(",") ? LITERAL_NL : ",";
  const out: (Answer | null)[] = [];
  while (s.length > 0) {
    const before = s;
    const pieces = s.split(delim);
    if (pieces.length > LIMITS.maxListItems * 4) return null;
    budget.spend(s.length);
    const kinds = depth > 50 ? ["prim"] : ["list", "prim"];
    for (const kind of kinds) {
      if (kind === "list" && !stripAnswer(s).startsWith("(")) continue;
      let braces = 0;
      let parens = 0;
      let end = 0;
      for (let ci = 1; ci <= pieces.length; ci++) {
        const [b, p] = counts(pieces[ci - 1]);
        braces += b;
        parens += p;
        budget.spend(pieces[ci - 1].length + 1);
        const complete = parens === 0 && (kind === "list" || braces === 0);
        if (complete && (kind === "prim" || endsList(pieces.slice(Math.max(0, ci - 8), ci).join(delim)))) {
          end = ci;
          break;
        }
      }
      if (end === 0) continue;
      const chunk = stripAnswer(pieces.slice(0, end).join(delim));
      if (kind === "list") {
        const inner = parseList(chunk, depth + 1, budget);
        out.push(inner === null ? null : { kind: "list", items: inner, top: false });
      } else {
        out.push(parsePrimitive(chunk));
      }
      s = stripAnswer(pieces.slice(end).join(delim));
      break;
    }
    if (s === before) return null;
    if (out.length > LIMITS.maxListItems) return null;
  }
  return out;
}

/** Python's str() of the value has a digit (MathArena drops list elements without one). */
function hasDigit(a: Answer | null): boolean {
  if (!a) return false;
  if (a.kind === "list") return a.items.some(hasDigit);
  return a.ast !== null && /\d/.test(a.text);
}

/**
 * Parse an answer (a model's extracted answer or the gold) as MathArena's `parse_answer`:
 * normalise, unwrap outer parentheses, split into a list; a one-element result is that element;
 * top-level list elements with no digit are dropped. Returns null when nothing parses. Never throws.
 * @example
 * showAnswer(parseAnswer("(1, 2)", true)) // "[1, 2]"
 */
export function parseAnswer(raw: string, listAnswer: boolean): Answer | null {
  if (raw.length > LIMITS.maxAnswerChars) return null;
  try {
    const s = removeOuterBrackets(normalizeAnswer(removeSpacing(raw), listAnswer));
    const items = parseList("(" + s + ")", 0, new ListBudget());
    if (items === null) return null;
    let out: Answer | null = items.length === 1 ? items[0] : { kind: "list", items, top: true };
    if (out && out.kind === "list") out = { kind: "list", items: out.items.filter(hasDigit), top: true };
    if (out && out.kind === "prim" && out.ast === null) return null;
    return out;
  } catch {
    return null;
  }
}

/**
 * A readable normal form of a parsed answer: numbers as `p/q`, expressions sympy-style, lists
 * in brackets; "" for nothing.
 * @example
 * showAnswer(parseAnswer("\\frac{6}{4}", false)) // "3/2"
 */
export function showAnswer(a: Answer | null): string {
  const s = show(a);
  return s.length > 400 ? `${s.slice(0, 200)}…(${s.length} characters)` : s;
}

function show(a: Answer | null): string {
  if (!a) return "";
  if (a.kind === "list") return "[" + a.items.map((x) => (x ? show(x) : "None")).join(", ") + "]";
  if (!a.ast) return "None";
  try {
    const v = evaluate(a.ast);
    if (v.t === "q") return hasFloat(a.ast) && v.q.d !== 1n ? String(toDouble(v.q)) : qToString(v.q);
  } catch {
    /* symbolic or undefined: show the expression */
  }
  return printAst(a.ast);
}
