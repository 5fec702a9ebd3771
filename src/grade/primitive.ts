import { astDepth, hasFloat, num, symbols, type Ast } from "./ast.js";
import { LIMITS } from "./limits.js";
import { parseLatex } from "./latex-parser.js";
import { q } from "./rational.js";
import { sympifyLatex } from "./sympify.js";

/**
 * One parsed answer value. `loose` is set where MathArena holds the value as a Python number
 * (int/float/complex, not a sympy object): it then compares with its float tolerance
 * (|a−b| < 1e-10 and |a−b|/max(|a|,|b|) < 1e-10) instead of sympy's exact `equals`.
 */
export interface Prim {
  kind: "prim";
  /** null: MathArena's parser gives up on this text (None). */
  ast: Ast | null;
  loose: boolean;
  /** The normalised text that was parsed. */
  text: string;
  /** Which rule parsed it: an integer/float literal, sympify, or the LaTeX fallback. */
  via: "int" | "float" | "sympify" | "latex" | "none";
}

/** Expression trees deeper than this (e.g. sums of more terms) are not graded. */
const MAX_TREE_DEPTH = LIMITS.maxDepth * 4;

/** Python's `float(s)` grammar (decimal literals, underscores between digits, inf/nan). */
const PY_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;

function fromFloatText(t: string): Ast | null {
  const s = t.trim().replaceAll("_", "");
  if (/^[+-]?(inf|infinity|nan)$/i.test(s)) return null; // MathArena crashes or loops on these
  const x = Number(s);
  if (!Number.isFinite(x)) return null;
  // Python: int(f) == f → int(f), exactly the double's value; else a float
  if (Number.isInteger(x)) return num(q(BigInt(x)));
  const m = /^([+-]?)(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) return null;
  const exp = Number(m[4] ?? 0) - m[3].length;
  if (Math.abs(exp) > 400) return num(q(BigInt(Math.round(x * 1e15)), 10n ** 15n), true);
  const mant = BigInt(m[1] + (m[2] || "0") + m[3]);
  return num(exp >= 0 ? q(mant * 10n ** BigInt(exp)) : q(mant, 10n ** BigInt(-exp)), true);
}

/**
 * Parse one answer element as MathArena's `ParsePrimitive` does: digits → integer; a Python float
 * literal → number (a float unless integral); else rewrite and sympify; else sympy's `parse_latex`.
 * Never throws.
 * @example
 * parsePrimitive("\\frac{1}{2}").via // "sympify"
 */
export function parsePrimitive(text: string): Prim {
  const none: Prim = { kind: "prim", ast: null, loose: false, text, via: "none" };
  if (text.length > LIMITS.maxAnswerChars) return none;
  if (/^[0-9]+$/.test(text)) {
    if (text.length > LIMITS.maxDigits) return none;
    return { kind: "prim", ast: num(q(BigInt(text))), loose: true, text, via: "int" };
  }
  if (PY_FLOAT.test(text.trim())) {
    const ast = fromFloatText(text);
    return ast ? { kind: "prim", ast, loose: true, text, via: "float" } : none;
  }
  let s = text;
  if (/sqrt(\d+)/.test(s)) s = s.replace(/sqrt(\d+)/g, "sqrt{$1}");
  if (/frac(\d)/.test(s)) s = s.replace(/frac(\d)/g, "frac{$1}");
  const deep = (ast: Ast): boolean => astDepth(ast, MAX_TREE_DEPTH) > MAX_TREE_DEPTH;
  try {
    const ast = sympifyLatex(s);
    if (deep(ast)) return none;
    return { kind: "prim", ast, loose: hasFloat(ast), text, via: "sympify" };
  } catch {
    /* sympify would fail: MathArena falls back to parse_latex */
  }
  try {
    // MathArena reads only what follows the last `=` here (normalisation already did that)
    const ast = parseLatex(s.includes("=") ? s.slice(s.lastIndexOf("=") + 1) : s);
    if (deep(ast)) return none;
    // it then simplifies: integers and rationals stay exact, other numbers become Python floats
    return { kind: "prim", ast, loose: symbols(ast).size === 0, text, via: "latex" };
  } catch {
    return none;
  }
}
