import { GradeLimitError, LIMITS } from "./limits.js";

/** An exact rational number n/d with d > 0 and gcd(n, d) = 1. */
export interface Q {
  readonly n: bigint;
  readonly d: bigint;
}

const abs = (a: bigint): bigint => (a < 0n ? -a : a);

function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Bit length of |a| (0 for 0).
 * @example
 * bitLength(255n) // 8
 */
export function bitLength(a: bigint): number {
  return a === 0n ? 0 : abs(a).toString(2).length;
}

function checkSize(x: Q): Q {
  if (bitLength(x.n) > LIMITS.maxExactBits || bitLength(x.d) > LIMITS.maxExactBits) {
    throw new GradeLimitError("exact number too large");
  }
  return x;
}

/**
 * Make a normalised rational.
 * @example
 * q(6n, -4n) // { n: -3n, d: 2n }
 */
export function q(n: bigint, d: bigint = 1n): Q {
  if (d === 0n) throw new RangeError("division by zero");
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

/** Exact arithmetic; results are size-checked. @example qAdd(q(1n, 2n), q(1n, 3n)) // { n: 5n, d: 6n } */
export const qAdd = (a: Q, b: Q): Q => checkSize(q(a.n * b.d + b.n * a.d, a.d * b.d));
export const qSub = (a: Q, b: Q): Q => checkSize(q(a.n * b.d - b.n * a.d, a.d * b.d));
export const qMul = (a: Q, b: Q): Q => checkSize(q(a.n * b.n, a.d * b.d));
export const qDiv = (a: Q, b: Q): Q => checkSize(q(a.n * b.d, a.d * b.n));
export const qNeg = (a: Q): Q => ({ n: -a.n, d: a.d });
export const qEq = (a: Q, b: Q): boolean => a.n === b.n && a.d === b.d;
export const qIsInt = (a: Q): boolean => a.d === 1n;

/**
 * a^k for an integer k; throws GradeLimitError when the result would be too large.
 * @example
 * qPowInt(q(2n, 3n), -2n) // { n: 9n, d: 4n }
 */
export function qPowInt(a: Q, k: bigint): Q {
  if (k < 0n) {
    if (a.n === 0n) throw new RangeError("division by zero");
    return qPowInt(q(a.d, a.n), -k);
  }
  if (k === 0n) return q(1n);
  if (abs(a.n) <= 1n && a.d === 1n) return q(a.n === 1n || k % 2n === 0n ? abs(a.n) : a.n);
  const bits = Math.max(bitLength(a.n), bitLength(a.d));
  if (Number(k) * (bits - 1) > LIMITS.maxExactBits) throw new GradeLimitError("power too large");
  return checkSize({ n: a.n ** k, d: a.d ** k });
}

/**
 * Exact integer k-th root of a non-negative bigint, or null when it is not a perfect power.
 * @example
 * intRoot(1000n, 3) // 10n
 * intRoot(10n, 2) // null
 */
export function intRoot(a: bigint, k: number): bigint | null {
  if (a < 0n || !Number.isInteger(k) || k < 1) return null;
  if (a < 2n || k === 1) return a;
  const bits = bitLength(a);
  if (k >= bits) return null;
  const K = BigInt(k);
  let x = 1n << BigInt(Math.ceil(bits / k)); // >= the root: integer Newton descends from above
  for (;;) {
    const y = ((K - 1n) * x + a / x ** (K - 1n)) / K;
    if (y >= x) break;
    x = y;
  }
  return x ** K === a ? x : null;
}

/**
 * Double nearest to n/d, also when n and d are both beyond the double range.
 * @example
 * toDouble(q(10n ** 400n, 3n * 10n ** 399n)) // 3.3333333333333335
 */
export function toDouble(a: Q): number {
  const sn = Math.max(0, bitLength(a.n) - 900);
  const sd = Math.max(0, bitLength(a.d) - 900);
  if (sn === 0 && sd === 0) return Number(a.n) / Number(a.d);
  const n = Number(a.n >> BigInt(sn));
  const d = Number(a.d >> BigInt(sd));
  return (n / d) * Math.pow(2, sn - sd);
}

/**
 * Exact rational value of a finite double.
 * @example
 * fromDouble(0.75) // { n: 3n, d: 4n }
 */
export function fromDouble(x: number): Q {
  if (!Number.isFinite(x)) throw new RangeError("not finite");
  if (Number.isInteger(x)) return q(BigInt(x));
  let d = 1n;
  while (!Number.isInteger(x)) {
    x *= 2;
    d *= 2n;
  }
  return q(BigInt(x), d);
}

/**
 * "n" or "n/d".
 * @example
 * qToString(q(-3n, 6n)) // "-1/2"
 */
export function qToString(a: Q): string {
  return a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`;
}

/**
 * n! exactly, bounded by LIMITS.maxFactorial.
 * @example
 * factorial(5n) // 120n
 */
export function factorial(n: bigint): bigint {
  if (n < 0n) throw new RangeError("factorial of a negative number");
  if (n > BigInt(LIMITS.maxFactorial)) throw new GradeLimitError("factorial too large");
  let r = 1n;
  for (let i = 2n; i <= n; i++) r *= i;
  return r;
}

/**
 * C(n, k) exactly for integers n >= 0 (0 outside 0 <= k <= n).
 * @example
 * binomial(9n, 3n) // 84n
 */
export function binomial(n: bigint, k: bigint): bigint {
  if (n < 0n) throw new RangeError("binomial of a negative number");
  if (k < 0n || k > n) return 0n;
  if (k > n - k) k = n - k;
  if (k > BigInt(LIMITS.maxFactorial) * 4n) throw new GradeLimitError("binomial too large");
  let r = 1n;
  for (let i = 1n; i <= k; i++) {
    r = (r * (n - k + i)) / i;
    if (i % 64n === 0n && bitLength(r) > LIMITS.maxExactBits) throw new GradeLimitError("binomial too large");
  }
  if (bitLength(r) > LIMITS.maxExactBits) throw new GradeLimitError("binomial too large");
  return r;
}
