import { qToString, toDouble, type Q } from "./rational.js";

/** Binary operators of an answer expression. */
export type BinOp = "+" | "-" | "*" | "/" | "^";

/** Functions an answer may use (after both parsers have mapped their spellings onto these). */
export type FnName =
  | "sqrt" | "root" | "exp" | "log" | "abs" | "floor" | "ceil" | "factorial" | "binomial"
  | "sin" | "cos" | "tan" | "cot" | "sec" | "csc" | "asin" | "acos" | "atan" | "acot" | "asec" | "acsc"
  | "sinh" | "cosh" | "tanh" | "asinh" | "acosh" | "atanh";

/**
 * A parsed answer expression. `num.float` marks a literal written with a decimal point: MathArena
 * holds those as floats, so comparisons involving them use its 1e-10 tolerance.
 */
export type Ast =
  | { k: "num"; value: Q; float: boolean }
  | { k: "const"; name: "pi" | "E" | "I" | "oo" }
  | { k: "sym"; name: string }
  | { k: "neg"; a: Ast }
  | { k: "bin"; op: BinOp; a: Ast; b: Ast }
  | { k: "call"; fn: FnName; args: Ast[] };

export const num = (value: Q, float = false): Ast => ({ k: "num", value, float });
export const bin = (op: BinOp, a: Ast, b: Ast): Ast => ({ k: "bin", op, a, b });
export const call = (fn: FnName, ...args: Ast[]): Ast => ({ k: "call", fn, args });

/** Whether the expression has a decimal literal anywhere (MathArena's float comparison applies). */
export function hasFloat(a: Ast): boolean {
  switch (a.k) {
    case "num": return a.float;
    case "neg": return hasFloat(a.a);
    case "bin": return hasFloat(a.a) || hasFloat(a.b);
    case "call": return a.args.some(hasFloat);
    default: return false;
  }
}

/** Free symbol names, in first-seen order. */
export function symbols(a: Ast, out: Set<string> = new Set()): Set<string> {
  if (a.k === "sym") out.add(a.name);
  else if (a.k === "neg") symbols(a.a, out);
  else if (a.k === "bin") { symbols(a.a, out); symbols(a.b, out); }
  else if (a.k === "call") for (const x of a.args) symbols(x, out);
  return out;
}

const PREC: Record<BinOp, number> = { "+": 1, "-": 1, "*": 2, "/": 2, "^": 4 };

/**
 * A plain-text rendering (sympy-like: `*`, `/`, `**` → `^`, `sqrt(…)`), used as the answer's
 * normal form in reports.
 * @example
 * printAst({ k: "bin", op: "*", a: { k: "num", value: { n: 2n, d: 1n }, float: false }, b: { k: "const", name: "pi" } }) // "2*pi"
 */
export function printAst(a: Ast, parent = 0): string {
  switch (a.k) {
    case "num": {
      const s = a.float ? String(toDouble(a.value)) : qToString(a.value);
      return (a.value.d !== 1n && !a.float) || a.value.n < 0n ? (parent > 0 ? `(${s})` : s) : s;
    }
    case "const": return a.name;
    case "sym": return a.name;
    case "neg": {
      const s = `-${printAst(a.a, 3)}`;
      return parent > 1 ? `(${s})` : s;
    }
    case "bin": {
      const p = PREC[a.op];
      const right = a.op === "^" ? p : p + 0.5;
      const s = `${printAst(a.a, a.op === "^" ? p + 0.5 : p)}${a.op}${printAst(a.b, right)}`;
      return p < parent ? `(${s})` : s;
    }
    case "call": return `${a.fn}(${a.args.map((x) => printAst(x)).join(", ")})`;
  }
}

/**
 * Depth of the expression tree, computed without recursion (a sum of ten thousand terms is a
 * tree that deep); stops counting past `cap`.
 */
export function astDepth(root: Ast, cap: number): number {
  let max = 0;
  const stack: [Ast, number][] = [[root, 1]];
  while (stack.length) {
    const [a, d] = stack.pop()!;
    if (d > max) max = d;
    if (max > cap) return max;
    if (a.k === "neg") stack.push([a.a, d + 1]);
    else if (a.k === "bin") stack.push([a.a, d + 1], [a.b, d + 1]);
    else if (a.k === "call") for (const x of a.args) stack.push([x, d + 1]);
  }
  return max;
}
