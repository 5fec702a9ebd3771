/** Minimal complex arithmetic on doubles, for answers that are not exact rationals. */
export interface C {
  re: number;
  im: number;
}

export const c = (re: number, im = 0): C => ({ re, im });
export const cAdd = (a: C, b: C): C => c(a.re + b.re, a.im + b.im);
export const cSub = (a: C, b: C): C => c(a.re - b.re, a.im - b.im);
export const cMul = (a: C, b: C): C => c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
export const cAbs = (a: C): number => Math.hypot(a.re, a.im);
export const cIsFinite = (a: C): boolean => Number.isFinite(a.re) && Number.isFinite(a.im);

export function cDiv(a: C, b: C): C {
  if (b.im === 0) {
    if (b.re === 0) throw new RangeError("division by zero");
    return c(a.re / b.re, a.im / b.re);
  }
  const d = b.re * b.re + b.im * b.im;
  return c((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
}

export function cExp(a: C): C {
  const m = Math.exp(a.re);
  return a.im === 0 ? c(m) : c(m * Math.cos(a.im), m * Math.sin(a.im));
}

/**
 * Principal logarithm.
 * @example
 * cLog(c(-1)) // { re: 0, im: Math.PI }
 */
export function cLog(a: C): C {
  if (a.re === 0 && a.im === 0) throw new RangeError("log of zero");
  return c(Math.log(cAbs(a)), Math.atan2(a.im, a.re));
}

/**
 * Principal power a^b (as sympy evaluates it numerically).
 * @example
 * cPow(c(-1), c(0.5)) // ≈ { re: 0, im: 1 }
 */
export function cPow(a: C, b: C): C {
  if (a.re === 0 && a.im === 0) {
    if (b.re > 0) return c(0);
    throw new RangeError("zero to a non-positive power");
  }
  if (a.im === 0 && b.im === 0 && (a.re > 0 || Number.isInteger(b.re))) return c(Math.pow(a.re, b.re));
  return cExp(cMul(b, cLog(a)));
}

/** Real functions of a real argument; a complex argument (or result) is not supported. */
const REAL: Record<string, (x: number) => number> = {
  sin: Math.sin, cos: Math.cos, tan: Math.tan,
  cot: (x) => 1 / Math.tan(x), sec: (x) => 1 / Math.cos(x), csc: (x) => 1 / Math.sin(x),
  asin: Math.asin, acos: Math.acos, atan: Math.atan,
  acot: (x) => Math.atan(1 / x), asec: (x) => Math.acos(1 / x), acsc: (x) => Math.asin(1 / x),
  sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh,
  asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
};

/**
 * A real function (sin, acos, tanh, …) of a real argument.
 * @example
 * cReal("cos", c(0)) // { re: 1, im: 0 }
 */
export function cReal(fn: string, a: C): C {
  const f = REAL[fn];
  if (!f || a.im !== 0) throw new RangeError(`${fn} of a complex number is not supported`);
  const y = f(a.re);
  if (Number.isNaN(y)) throw new RangeError(`${fn} outside its real domain`);
  return c(y);
}
