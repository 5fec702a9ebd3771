import type { Answer } from "./answer.js";
import { symbols } from "./ast.js";
import { c, cAbs, cIsFinite, cSub, type C } from "./complex.js";
import { evaluate, toC, type Env, type Num } from "./evaluate.js";
import type { Prim } from "./primitive.js";
import { qEq, qSub, toDouble } from "./rational.js";

/** MathArena's float tolerance, on the absolute and on the relative difference. */
export const TOLERANCE = 1e-10;
const POINTS = 3;

/** A fixed pseudo-random positive value per (symbol, point): both sides see the same values. */
function envAt(k: number): Env {
  return (name: string): C => {
    let h = 2166136261 ^ k;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
    return c(0.5 + ((h >>> 0) % 100_003) / 100_003 * 1.5 + 0.01 * k);
  };
}

const constCache = new WeakMap<Prim, Num | null>();
const pointCache = new WeakMap<Prim, (Num | null)[]>();
const symCache = new WeakMap<Prim, boolean>();

function tryEval(p: Prim, env?: Env): Num | null {
  try {
    return evaluate(p.ast!, env);
  } catch {
    return null;
  }
}

function constValue(p: Prim): Num | null {
  if (!constCache.has(p)) constCache.set(p, tryEval(p));
  return constCache.get(p)!;
}

function pointValues(p: Prim): (Num | null)[] {
  if (!pointCache.has(p)) pointCache.set(p, Array.from({ length: POINTS }, (_, k) => tryEval(p, envAt(k))));
  return pointCache.get(p)!;
}

function isSymbolic(p: Prim): boolean {
  if (!symCache.has(p)) symCache.set(p, symbols(p.ast!).size > 0);
  return symCache.get(p)!;
}

/**
 * Numeric equality. Two exact rationals compare exactly unless one side is a Python number in
 * MathArena (`loose`), which then uses the float rule |a−b| < 1e-10 and |a−b|/max(|a|,|b|) < 1e-10
 * on the exact difference. Other values compare as doubles: loose with the same rule, otherwise
 * (sympy's exact `equals`, approximated) within 1e-10 relative or 1e-12 absolute.
 * Infinite values are never equal (as in MathArena). Deviation: 0 equals 0 (MathArena's
 * relative test divides 0 by 0 and counts a gold of 0 as never matched).
 */
export function numbersEqual(x: Num, y: Num, loose: boolean): boolean {
  let d: number;
  let m: number;
  if (x.t === "q" && y.t === "q") {
    if (!loose || qEq(x.q, y.q)) return qEq(x.q, y.q);
    d = Math.abs(toDouble(qSub(x.q, y.q)));
    m = Math.max(Math.abs(toDouble(x.q)), Math.abs(toDouble(y.q)));
  } else {
    const a = toC(x);
    const b = toC(y);
    if (!cIsFinite(a) || !cIsFinite(b)) return false;
    d = cAbs(cSub(a, b));
    m = Math.max(cAbs(a), cAbs(b));
  }
  if (d === 0) return true;
  if (!Number.isFinite(d)) return false;
  return loose ? d < TOLERANCE && d < TOLERANCE * m : d <= TOLERANCE * m || d < 1e-12;
}

function primsEqual(a: Prim, b: Prim): boolean {
  if (!a.ast || !b.ast) return false;
  const loose = a.loose || b.loose;
  const sa = isSymbolic(a);
  const sb = isSymbolic(b);
  if (!sa && !sb) {
    const x = constValue(a);
    const y = constValue(b);
    return x !== null && y !== null && numbersEqual(x, y, loose);
  }
  // a Python number against a symbolic sympy expression: MathArena's comparison raises → false
  if ((!sa && a.loose) || (!sb && b.loose)) return false;
  const xs = pointValues(a);
  const ys = pointValues(b);
  return xs.every((x, k) => x !== null && ys[k] !== null && numbersEqual(x, ys[k]!, false));
}

/**
 * MathArena's `check_answers(model, gold)`: a list never equals a non-list; two top-level lists
 * are equal as multisets (greedy matching, order ignored: `(1,2)` equals `(2,1)`, and intervals
 * are lists, so `[1,2)` equals `(1,2]`); nested lists never compare equal; values compare
 * numerically (exact rationals exactly) or, with free symbols, at fixed random points.
 * @example
 * checkAnswers(parseAnswer("0.5", false), parseAnswer("\\frac12", false)) // true
 */
export function checkAnswers(a: Answer | null, b: Answer | null): boolean {
  if (!a || !b) return false;
  if ((a.kind === "list") !== (b.kind === "list")) return false;
  if (a.kind === "prim" && b.kind === "prim") return primsEqual(a, b);
  if (a.kind !== "list" || b.kind !== "list" || !a.top || !b.top) return false;
  if (a.items.length !== b.items.length) return false;
  const used = new Set<number>();
  for (const x of a.items) {
    const j = b.items.findIndex((y, i) => !used.has(i) && checkAnswers(x, y));
    if (j < 0) return false;
    used.add(j);
  }
  return true;
}
