import { bin, call, num, type Ast, type FnName } from "./ast.js";
import { evaluate } from "./evaluate.js";
import { GradeLimitError, LIMITS } from "./limits.js";
import { q } from "./rational.js";

/** Thrown when the rewritten string is not an expression sympify would accept. */
export class SympifyError extends Error {
  override name = "SympifyError";
}

const LETTERS12 = "(?<![a-zA-Z])[a-zA-Z]{1,2}(?![a-zA-Z])";

/** One round of MathArena's LaTeX → Python rewrites (`\frac`, `\binom`, `\sqrt`, `^`, `\cdot`, …). */
function rewriteRound(s: string, withIntBraces: boolean): string {
  if (withIntBraces) s = s.replace(/\{(\d+)\}/g, "($1)");
  return s
    .replace(/\\*(?:dfrac|tfrac|frac)\{([^{}]*)\}\{([^{}]*)\}/g, "($1)/($2)")
    .replace(/\\*binom\{([^{}]*)\}\{([^{}]*)\}/g, "binomial($1, $2)")
    .replace(/\\*sqrt\[(.*?)\]\{(.*?)\}/g, "($2)**(1/($1))")
    .replace(/\\*sqrt\((\d+)\)\{([^{}]*)\}/g, "($2)**(1/($1))")
    .replace(/\\*sqrt\{(.*?)\}/g, "($1)**(1/2)")
    .replaceAll("^", "**")
    .replaceAll("\\cdot", "*")
    .replaceAll("\\times", "*")
    .replaceAll("\\pi", " pi ")
    .replaceAll("\\e", " E ")
    .replaceAll("\\i", " I ")
    .replace(/\bi\b/g, "I");
}

/**
 * MathArena's rewrite of a LaTeX answer into Python syntax for sympify: up to five rounds of
 * command rewrites (twice), then regex-inserted `*` for implicit multiplication next to
 * parentheses, digits and 1–2 letter names, then `{…}` → `[…]`.
 * @example
 * rewriteForSympify("3/4\\sqrt{2}") // "3/4*(2)**(1/2)"
 */
export function rewriteForSympify(s: string): string {
  for (const withIntBraces of [false, true]) {
    for (let k = 0; k < 5; k++) {
      const next = rewriteRound(s, withIntBraces);
      if (next === s) break;
      s = next;
      if (s.length > LIMITS.maxAnswerChars * 8) throw new GradeLimitError("rewrite grew too large");
    }
  }
  return s
    .replace(new RegExp(`(\\d|${LETTERS12})\\(`, "g"), "$1*(")
    .replace(new RegExp(`\\)(\\d|${LETTERS12})`, "g"), ")*$1")
    .replace(new RegExp(`(?<=\\d)(${LETTERS12})`, "g"), "*$1")
    .replace(new RegExp(`(${LETTERS12})(?=\\d)`, "g"), "$1*")
    .replace(/\{([^{}]*)\}/g, (_m, inner: string) => "[" + inner.replaceAll(",", ", ") + "]");
}

const FUNCS: Record<string, FnName> = {
  sqrt: "sqrt", exp: "exp", log: "log", Abs: "abs", abs: "abs", floor: "floor", ceiling: "ceil",
  factorial: "factorial", binomial: "binomial", root: "root", sin: "sin", cos: "cos", tan: "tan",
  cot: "cot", sec: "sec", csc: "csc", asin: "asin", acos: "acos", atan: "atan", acot: "acot",
  asec: "asec", acsc: "acsc", sinh: "sinh", cosh: "cosh", tanh: "tanh", asinh: "asinh",
  acosh: "acosh", atanh: "atanh",
};
/** Names sympify resolves to something that is not a number or symbol (or Python keywords). */
const BAD_NAMES = new Set([
  "N", "O", "Q", "S", "ln", "gamma", "beta", "zeta", "re", "im", "arg", "sign", "lambda",
  "not", "in", "is", "if", "else", "for", "while", "def", "class", "return", "import", "from", "as",
  "with", "del", "pass", "None", "True", "False", "nan", "zoo", "Integer", "Rational", "Symbol",
]);

type Tok = { t: "num"; v: string } | { t: "name"; v: string } | { t: "op"; v: string } | { t: "end" };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(\d+\.?\d*|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/(),!]))/y;
  let i = 0;
  while (i < s.length) {
    if (/^\s*$/.test(s.slice(i, i + 1))) { i++; continue; }
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new SympifyError(`cannot tokenize at ${s.slice(i, i + 10)}`);
    out.push(m[1] !== undefined ? { t: "num", v: m[1] } : m[2] !== undefined ? { t: "name", v: m[2] } : { t: "op", v: m[3] });
    i = re.lastIndex;
  }
  out.push({ t: "end" });
  return out;
}

function isZero(a: Ast): boolean {
  try {
    const v = evaluate(a);
    return v.t === "q" ? v.q.n === 0n : v.v.re === 0 && v.v.im === 0;
  } catch {
    return false;
  }
}

/** A Python expression grammar (no implicit multiplication, `**` right-associative). */
class PyParser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}
  private peek(): Tok { return this.toks[this.i]; }
  private isOp(v: string): boolean { const t = this.peek(); return t.t === "op" && t.v === v; }
  private fail(what: string): never { throw new SympifyError(what); }

  parseAll(): Ast {
    const e = this.boolOr();
    if (this.peek().t !== "end") this.fail("trailing input");
    return e;
  }

  /**
   * Python's `a or b` / `a and b` (sympify evaluates them: "204 or 205" is 204): `or` gives the
   * first truthy operand, `and` the first falsy one; a value is falsy when it is exactly 0.
   */
  private boolOr(): Ast {
    let a = this.boolAnd();
    while (this.isName("or")) {
      this.i++;
      const b = this.boolAnd();
      a = isZero(a) ? b : a;
    }
    return a;
  }

  private boolAnd(): Ast {
    let a = this.expr();
    while (this.isName("and")) {
      this.i++;
      const b = this.expr();
      a = isZero(a) ? a : b;
    }
    return a;
  }

  private isName(v: string): boolean {
    const t = this.peek();
    return t.t === "name" && t.v === v;
  }

  private expr(): Ast {
    if (++this.depth > LIMITS.maxDepth) throw new GradeLimitError("expression nested too deeply");
    let a = this.term();
    while (this.isOp("+") || this.isOp("-")) {
      const op = (this.toks[this.i++] as { v: string }).v as "+" | "-";
      a = bin(op, a, this.term());
    }
    this.depth--;
    return a;
  }

  private term(): Ast {
    let a = this.factor();
    while (this.isOp("*") || this.isOp("/")) {
      const op = (this.toks[this.i++] as { v: string }).v as "*" | "/";
      a = bin(op, a, this.factor());
    }
    return a;
  }

  private factor(): Ast {
    if (++this.depth > LIMITS.maxDepth * 2) throw new GradeLimitError("expression nested too deeply");
    let r: Ast;
    if (this.isOp("+")) { this.i++; r = this.factor(); }
    else if (this.isOp("-")) { this.i++; r = { k: "neg", a: this.factor() }; }
    else {
      r = this.postfix();
      if (this.isOp("**")) { this.i++; r = bin("^", r, this.factor()); }
    }
    this.depth--;
    return r;
  }

  private postfix(): Ast {
    let e = this.atom();
    while (this.isOp("!")) { this.i++; e = call("factorial", e); }
    return e;
  }

  private atom(): Ast {
    const t = this.toks[this.i++];
    if (t.t === "num") {
      const [int, frac = ""] = t.v.split(".");
      if (int.length + frac.length > LIMITS.maxDigits) throw new GradeLimitError("number too long");
      return num(q(BigInt((int || "0") + frac), 10n ** BigInt(frac.length)), t.v.includes("."));
    }
    if (t.t === "op" && t.v === "(") {
      const e = this.expr();
      if (!this.isOp(")")) this.fail("expected )");
      this.i++;
      return e;
    }
    if (t.t !== "name") return this.fail("expected an operand");
    if (this.isOp("(")) return this.callArgs(t.v);
    if (t.v in FUNCS || BAD_NAMES.has(t.v) || t.v === "or" || t.v === "and") this.fail(`${t.v} is not a value`);
    if (t.v === "pi") return { k: "const", name: "pi" };
    if (t.v === "E" || t.v === "e") return { k: "const", name: "E" };
    if (t.v === "I") return { k: "const", name: "I" };
    if (t.v === "oo") return { k: "const", name: "oo" };
    return { k: "sym", name: t.v };
  }

  private callArgs(name: string): Ast {
    const fn = FUNCS[name];
    if (!fn) this.fail(`unknown function ${name}`);
    this.i++;
    const args: Ast[] = [];
    while (!this.isOp(")")) {
      args.push(this.expr());
      if (this.isOp(",")) this.i++;
      else if (!this.isOp(")")) this.fail("expected , or )");
    }
    this.i++;
    const arity: Partial<Record<FnName, number[]>> = { log: [1, 2], binomial: [2], root: [2] };
    if (!(arity[fn] ?? [1]).includes(args.length)) this.fail(`${name} takes other arguments`);
    return call(fn, ...args);
  }
}

/**
 * MathArena's first parsing attempt: rewrite, then sympify. Throws SympifyError where sympify
 * would fail (MathArena then falls back to `parse_latex`).
 * @example
 * printAst(sympifyLatex("\\frac{1}{2}x")) // "1/2*x"
 */
export function sympifyLatex(s: string): Ast {
  return new PyParser(tokenize(rewriteForSympify(s))).parseAll();
}
