import type { Ast } from "./ast.js";
import { c, cAbs, cAdd, cDiv, cExp, cLog, cMul, cPow, cReal, cSub, type C } from "./complex.js";
import { GradeLimitError, LIMITS } from "./limits.js";
import {
  binomial, factorial, intRoot, q, qAdd, qDiv, qMul, qNeg, qPowInt, qSub, toDouble, type Q,
} from "./rational.js";

/** A value: an exact rational when the arithmetic allows it, else a complex double. */
export type Num = { t: "q"; q: Q } | { t: "c"; v: C };

/** Values for free symbols (single letters after MathArena's multi-letter split). */
export type Env = (name: string) => C;

/** Raised when an expression has free symbols and no environment was given. */
export class SymbolicError extends Error {
  override name = "SymbolicError";
}

const Nq = (x: Q): Num => ({ t: "q", q: x });
const Nc = (v: C): Num => ({ t: "c", v });

/** The complex double of a value. */
export const toC = (x: Num): C => (x.t === "q" ? c(toDouble(x.q)) : x.v);

/**
 * MathArena splits multi-letter symbol names into products of letters (`ab` = a·b), except
 * names made only of the letters A–E (multiple-choice labels such as `AB`).
 */
export function splitSymbol(name: string): string[] {
  if (/^[A-Za-z]{2,}$/.test(name) && !/^[A-E]+$/.test(name)) return [...name];
  return [name];
}

function floorQ(x: Q): bigint {
  return x.n >= 0n ? x.n / x.d : -((-x.n + x.d - 1n) / x.d);
}

function pow(x: Num, y: Num): Num {
  if (x.t === "q" && y.t === "q") {
    if (y.q.d === 1n) {
      if (x.q.n === 0n && y.q.n < 0n) throw new RangeError("division by zero");
      return Nq(qPowInt(x.q, y.q.n));
    }
    if (x.q.n >= 0n && y.q.d <= 64n) {
      const r = Number(y.q.d);
      const rn = intRoot(x.q.n, r);
      const rd = rn === null ? null : intRoot(x.q.d, r);
      if (rn !== null && rd !== null) return Nq(qPowInt(q(rn, rd), y.q.n));
    }
  }
  return Nc(cPow(toC(x), toC(y)));
}

function log(x: Num, base: Num | undefined): Num {
  const lx = cLog(toC(x));
  if (!base) return Nc(lx);
  const r = cDiv(lx, cLog(toC(base)));
  // log_b(x) is exact when x = b^k (sympy evaluates log(8, 2) to 3).
  if (x.t === "q" && base.t === "q" && r.im === 0 && Math.abs(r.re) < 1e4) {
    const k = Math.round(r.re);
    if (Math.abs(r.re - k) < 1e-9) {
      try {
        const p = qPowInt(base.q, BigInt(k));
        if (p.n === x.q.n && p.d === x.q.d) return Nq(q(BigInt(k)));
      } catch {
        /* not exact */
      }
    }
  }
  return Nc(r);
}

function int(x: Num, what: string): bigint {
  if (x.t === "q" && x.q.d === 1n) return x.q.n;
  if (x.t === "c" && x.v.im === 0 && Number.isInteger(x.v.re) && Math.abs(x.v.re) < 2 ** 53) return BigInt(x.v.re);
  throw new RangeError(`${what} needs an integer`);
}

function roundTo(x: Num, f: (v: number) => number, exact: (v: Q) => bigint): Num {
  if (x.t === "q") return Nq(q(exact(x.q)));
  if (x.v.im !== 0 || !Number.isFinite(x.v.re)) throw new RangeError("floor/ceil of a non-real number");
  return Nq(q(BigInt(f(x.v.re))));
}

function callFn(fn: string, args: Num[]): Num {
  const [x, y] = args;
  switch (fn) {
    case "sqrt": return pow(x, Nq(q(1n, 2n)));
    case "root": return pow(x, y.t === "q" ? Nq(qDiv(q(1n), y.q)) : Nc(cDiv(c(1), y.v)));
    case "exp": return x.t === "q" && x.q.n === 0n ? Nq(q(1n)) : Nc(cExp(toC(x)));
    case "log": return log(x, y);
    case "abs": return x.t === "q" ? Nq(x.q.n < 0n ? qNeg(x.q) : x.q) : Nc(c(cAbs(x.v)));
    case "floor": return roundTo(x, Math.floor, floorQ);
    case "ceil": return roundTo(x, Math.ceil, (v) => -floorQ(qNeg(v)));
    case "factorial": return Nq(q(factorial(int(x, "factorial"))));
    case "binomial": {
      const k = int(y, "binomial");
      if (x.t === "q" && x.q.d === 1n && x.q.n >= 0n) return Nq(q(binomial(x.q.n, k)));
      // C(x, k) for a non-integer x and integer k: x(x-1)…(x-k+1)/k! (sympy expands it too)
      if (k < 0n || k > 1000n) throw new RangeError("binomial outside its domain");
      let r = c(1);
      for (let i = 0; i < Number(k); i++) r = cDiv(cMul(r, cSub(toC(x), c(i))), c(i + 1));
      return Nc(r);
    }
    default:
      if (x.t === "q" && x.q.n === 0n && ["sin", "tan", "asin", "atan", "sinh", "tanh", "asinh", "atanh"].includes(fn)) return x;
      return Nc(cReal(fn, toC(x)));
  }
}

function arith(op: string, x: Num, y: Num): Num {
  if (op === "^") return pow(x, y);
  if (x.t === "q" && y.t === "q") {
    if (op === "+") return Nq(qAdd(x.q, y.q));
    if (op === "-") return Nq(qSub(x.q, y.q));
    if (op === "*") return Nq(qMul(x.q, y.q));
    if (y.q.n === 0n) throw new RangeError("division by zero");
    return Nq(qDiv(x.q, y.q));
  }
  const a = toC(x);
  const b = toC(y);
  if (op === "+") return Nc(cAdd(a, b));
  if (op === "-") return Nc(cSub(a, b));
  if (op === "*") return Nc(cMul(a, b));
  return Nc(cDiv(a, b));
}

/**
 * Evaluate an expression: exact (BigInt rationals) as far as the operations allow, else complex
 * doubles. Free symbols need `env`; without one a SymbolicError is thrown. Throws RangeError on
 * undefined operations (division by zero, log 0) and GradeLimitError past the size bounds.
 * @example
 * evaluate({ k: "bin", op: "^", a: { k: "num", value: { n: 8n, d: 1n }, float: false }, b: { k: "num", value: { n: 2n, d: 3n }, float: false } }) // { t: "q", q: { n: 4n, d: 1n } }
 */
export function evaluate(a: Ast, env?: Env, depth = 0): Num {
  if (depth > LIMITS.maxDepth * 4) throw new GradeLimitError("expression too deep");
  switch (a.k) {
    case "num": return Nq(a.value);
    case "const":
      return a.name === "pi" ? Nc(c(Math.PI)) : a.name === "E" ? Nc(c(Math.E)) : a.name === "I" ? Nc(c(0, 1)) : Nc(c(Infinity));
    case "sym": {
      if (!env) throw new SymbolicError(a.name);
      return Nc(splitSymbol(a.name).map(env).reduce(cMul, c(1)));
    }
    case "neg": {
      const x = evaluate(a.a, env, depth + 1);
      return x.t === "q" ? Nq(qNeg(x.q)) : Nc(c(-x.v.re, -x.v.im));
    }
    case "bin": return arith(a.op, evaluate(a.a, env, depth + 1), evaluate(a.b, env, depth + 1));
    case "call": return callFn(a.fn, a.args.map((x) => evaluate(x, env, depth + 1)));
  }
}
