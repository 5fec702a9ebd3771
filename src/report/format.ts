import type { AccuracyResult } from "../stats/types.js";

/** Width of the seed's table rules. */
export const TABLE_WIDTH = 80;
/** Width of the first ("Threshold") column of the seed's tables. */
export const FIRST_COLUMN = 12;
/** Width of every other column of the seed's tables. */
export const COLUMN = 15;

/**
 * A horizontal rule of the seed's tables.
 *
 * @example
 * rule("=", 5); // => "====="
 */
export function rule(char: "=" | "-", width = TABLE_WIDTH): string {
  return char.repeat(width);
}

/**
 * Left-aligned cell padded to `width`, like Python's `f"{s:<width}"`, but always followed by at
 * least one space so that an over-long cell never runs into the next one.
 *
 * @example
 * cell("mean", 15); // => "mean           "
 */
export function cell(text: string, width: number): string {
  return text.padEnd(Math.max(width, text.length + 1));
}

/**
 * The row label of a threshold, as the seed prints it.
 *
 * @example
 * tauLabel(128); // => "τ=128"
 */
export function tauLabel(tau: number): string {
  return `τ=${tau}`;
}

/**
 * `x` with `digits` decimals exactly as Python's `f"{x:.{digits}f}"` prints it: correctly
 * rounded from the binary value, exact ties to even (JavaScript's `toFixed` sends ties away from
 * zero: (0.0625).toFixed(3) is "0.063" where Python prints "0.062"), and "-0.000" for -0.
 *
 * @example
 * formatFixed(0.15549, 3); // => "0.155"
 * formatFixed(0.0625, 3); // => "0.062"
 * formatFixed(-0.0001, 3); // => "-0.000"
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (Object.is(x, -0)) return "-" + (0).toFixed(digits);
  const away = x.toFixed(digits); // ties away from zero
  if (Math.abs(x) >= 1e21 || digits + 1 > 100) return away;
  // The exact decimal expansion of a double near a tie has far fewer than 100 digits.
  const exact = x.toFixed(100);
  const dot = exact.indexOf(".");
  const tail = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(tail)) return away;
  const kept = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
  const lastDigit = Number(kept[kept.length - 1]);
  return lastDigit % 2 === 0 ? kept : away;
}

/**
 * An accuracy as `xx.xx% (k/n)`; a fractional k (mean single-sample accuracy) gets two decimals.
 *
 * @example
 * formatAccuracy({ correct: 29, total: 172, accuracy: 29 / 172 }); // => "16.86% (29/172)"
 * formatAccuracy({ correct: 20.5, total: 172, accuracy: 20.5 / 172 }); // => "11.92% (20.50/172)"
 */
export function formatAccuracy(a: AccuracyResult): string {
  return `${formatPercent(a.accuracy)} (${formatCount(a.correct)}/${a.total})`;
}

/**
 * A fraction as a percentage with two decimals.
 *
 * @example
 * formatPercent(0.1163); // => "11.63%"
 */
export function formatPercent(fraction: number): string {
  return `${formatFixed(fraction * 100, 2)}%`;
}

/**
 * A count: integers as they are, fractional counts with two decimals.
 *
 * @example
 * formatCount(29); // => "29"
 * formatCount(20.5); // => "20.50"
 */
export function formatCount(k: number): string {
  return Number.isInteger(k) ? String(k) : formatFixed(k, 2);
}
