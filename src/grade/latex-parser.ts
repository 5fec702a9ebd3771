import { bin, call, num, printAst, type Ast, type FnName } from "./ast.js";
import { LatexSyntaxError, tokenizeLatex, type LTok } from "./latex-lexer.js";
import { GradeLimitError, LIMITS } from "./limits.js";
import { q } from "./rational.js";

const FUNCS: Record<string, FnName> = {
  exp: "exp", log: "log", lg: "log", ln: "log", sin: "sin", cos: "cos", tan: "tan", csc: "csc",
  sec: "sec", cot: "cot", arcsin: "asin", arccos: "acos", arctan: "atan", arccsc: "acsc",
  arcsec: "asec", arccot: "acot", sinh: "sinh", cosh: "cosh", tanh: "tanh", arsinh: "asinh",
  arcosh: "acosh", artanh: "atanh",
};
const TRIG = new Set(["sin", "cos", "tan", "csc", "sec", "cot", "sinh", "cosh", "tanh"]);
const MUL_CMDS = new Set(["times", "cdot", "div"]);
/** Commands that are structure, not symbols (anything else, e.g. `\alpha`, becomes a symbol). */
const STRUCT = new Set([
  ...Object.keys(FUNCS), ...MUL_CMDS, "sqrt", "frac", "dfrac", "tfrac", "binom", "dbinom", "tbinom",
  "lfloor", "rfloor", "lceil", "rceil", "mathit", "overline", "int", "sum", "prod", "lim", "to",
  "neq", "le", "leq", "ge", "geq", "leqq", "geqq", "leqslant", "geqslant", "langle", "rangle",
]);

/** The names MathArena swaps for constants after `parse_latex` (latex2sympy_fixed). */
function symbol(name: string): Ast {
  if (name === "pi") return { k: "const", name: "pi" };
  if (name === "e") return { k: "const", name: "E" };
  if (name === "i" || name === "I") return { k: "const", name: "I" };
  if (name === "infty") return { k: "const", name: "oo" };
  return { k: "sym", name };
}

class LatexParser {
  private i = 0;
  private depth = 0;
  private absDepth = 0;
  constructor(private readonly toks: LTok[]) {}

  private peek(o = 0): LTok { return this.toks[Math.min(this.i + o, this.toks.length - 1)]; }
  private isOp(v: string, o = 0): boolean { const t = this.peek(o); return t.t === "op" && t.v === v; }
  private isCmd(v: string): boolean { const t = this.peek(); return t.t === "cmd" && t.v === v; }
  private fail(what: string): never { throw new LatexSyntaxError(what); }
  private expectOp(v: string): void { if (!this.isOp(v)) this.fail(`expected ${v}`); this.i++; }

  private nest<T>(f: () => T): T {
    if (++this.depth > LIMITS.maxDepth) throw new GradeLimitError("expression nested too deeply");
    try { return f(); } finally { this.depth--; }
  }

  parseAll(): Ast {
    const e = this.expr();
    if (this.peek().t !== "end") this.fail("trailing input");
    return e;
  }

  expr(): Ast {
    return this.nest(() => {
      let a = this.mp(false);
      while (this.isOp("+") || this.isOp("-")) {
        const op = (this.toks[this.i++] as { v: string }).v as "+" | "-";
        a = bin(op, a, this.mp(false));
      }
      return a;
    });
  }

  private mp(noFunc: boolean): Ast {
    let a = this.unary(noFunc);
    for (;;) {
      const t = this.peek();
      let op: "*" | "/" | null = null;
      if (t.t === "op" && (t.v === "*" || t.v === "/" || t.v === ":")) op = t.v === "*" ? "*" : "/";
      else if (t.t === "cmd" && MUL_CMDS.has(t.v)) op = t.v === "div" ? "/" : "*";
      if (!op) return a;
      this.i++;
      a = bin(op, a, this.unary(noFunc));
    }
  }

  private unary(noFunc: boolean): Ast {
    if (this.isOp("+")) { this.i++; return this.nest(() => this.unary(noFunc)); }
    if (this.isOp("-")) { this.i++; return this.nest(() => ({ k: "neg", a: this.unary(noFunc) })); }
    let a = this.postfix(false);
    while (this.startsPostfix(noFunc)) a = bin("*", a, this.postfix(noFunc));
    return a;
  }

  private startsPostfix(noFunc: boolean): boolean {
    const t = this.peek();
    if (t.t === "digit" || t.t === "letter") return true;
    if (t.t === "cmd") {
      if (MUL_CMDS.has(t.v) || t.v === "rfloor" || t.v === "rceil") return false;
      return !(noFunc && (t.v in FUNCS || t.v === "sqrt" || t.v === "overline"));
    }
    if (t.t !== "op") return false;
    return ["(", "[", "{", "\\{"].includes(t.v) || (t.v === "|" && this.absDepth === 0);
  }

  private postfix(noFunc: boolean): Ast {
    let e = this.power(noFunc);
    while (this.isOp("!")) { this.i++; e = call("factorial", e); }
    return e;
  }

  private power(noFunc: boolean): Ast {
    let e = this.comp(noFunc);
    while (this.isOp("^")) {
      this.i++;
      e = bin("^", e, this.supArg());
      if (this.isOp("_")) this.subscript();
    }
    return e;
  }

  private supArg(): Ast {
    return this.isOp("{") ? this.group("{", "}") : this.atom();
  }

  private subscript(): string {
    this.expectOp("_");
    return printAst(this.isOp("{") ? this.group("{", "}") : this.atom());
  }

  private group(open: string, close: string): Ast {
    this.expectOp(open);
    const e = this.expr();
    this.expectOp(close);
    return e;
  }

  private comp(noFunc: boolean): Ast {
    const t = this.peek();
    if (t.t === "op") {
      if (t.v === "(") return this.group("(", ")");
      if (t.v === "[") return this.group("[", "]");
      if (t.v === "{") return this.group("{", "}");
      if (t.v === "\\{") return this.group("\\{", "\\}");
      if (t.v === "|") {
        this.i++;
        this.absDepth++;
        const e = this.expr();
        this.absDepth--;
        this.expectOp("|");
        return call("abs", e);
      }
    }
    if (t.t === "cmd") {
      if (t.v === "lfloor" || t.v === "lceil") {
        this.i++;
        const e = this.expr();
        if (!this.isCmd(t.v === "lfloor" ? "rfloor" : "rceil")) this.fail("unclosed floor/ceil");
        this.i++;
        return call(t.v === "lfloor" ? "floor" : "ceil", e);
      }
      if (!noFunc && t.v in FUNCS) return this.func(t.v);
      if (!noFunc && t.v === "sqrt") {
        this.i++;
        const root = this.isOp("[") ? this.group("[", "]") : null;
        const base = this.group("{", "}");
        return root ? call("root", base, root) : call("sqrt", base);
      }
    }
    if ((t.t === "letter" || (t.t === "cmd" && !STRUCT.has(t.v))) && this.isOp("(", 1) && !noFunc) {
      this.fail("unknown function call");
    }
    return this.atom();
  }

  private func(name: string): Ast {
    this.i++;
    let base: Ast | null = null;
    let sup: Ast | null = null;
    for (let k = 0; k < 2; k++) {
      if (this.isOp("_") && !base) base = this.nest(() => { this.i++; return this.isOp("{") ? this.group("{", "}") : this.atom(); });
      else if (this.isOp("^") && !sup) { this.i++; sup = this.supArg(); }
    }
    const arg = this.isOp("(") ? this.group("(", ")") : this.nest(() => this.mp(true));
    const fn = FUNCS[name];
    let e: Ast;
    const inverse = sup && TRIG.has(name) && sup.k === "neg" && sup.a.k === "num" && sup.a.value.n === 1n && sup.a.value.d === 1n;
    if (fn === "log") {
      const b = base ?? (name === "lg" ? num(q(10n)) : null);
      e = b ? call("log", arg, b) : call("log", arg);
    } else if (inverse) {
      e = call(("a" + name) as FnName, arg);
    } else {
      e = call(fn, arg);
    }
    return sup && !inverse ? bin("^", e, sup) : e;
  }

  private atom(): Ast {
    const t = this.peek();
    if (t.t === "digit") return this.number();
    if (t.t === "letter") {
      this.i++;
      return this.isOp("_") ? { k: "sym", name: `${t.v}_{${this.subscript()}}` } : symbol(t.v);
    }
    if (t.t === "cmd") {
      this.i++;
      if (t.v === "frac" || t.v === "dfrac" || t.v === "tfrac") {
        const a = this.fracArg();
        return bin("/", a, this.fracArg());
      }
      if (t.v === "binom" || t.v === "dbinom" || t.v === "tbinom") {
        const n = this.group("{", "}");
        return call("binomial", n, this.group("{", "}"));
      }
      if (t.v === "mathit") {
        this.expectOp("{");
        let name = "";
        while (this.peek().t === "letter") name += (this.toks[this.i++] as { v: string }).v;
        this.expectOp("}");
        return { k: "sym", name };
      }
      if (STRUCT.has(t.v)) this.fail(`\\${t.v} not supported here`);
      return this.isOp("_") ? { k: "sym", name: `${t.v}_{${this.subscript()}}` } : symbol(t.v);
    }
    return this.fail("expected a number, symbol or group");
  }

  private fracArg(): Ast {
    const t = this.peek();
    if (t.t === "digit") { this.i++; return num(q(BigInt(t.v))); }
    return this.group("{", "}");
  }

  private number(): Ast {
    let digits = "";
    while (this.peek().t === "digit") digits += (this.toks[this.i++] as { v: string }).v;
    let frac = "";
    if (this.isOp(".") && this.peek(1).t === "digit") {
      this.i++;
      while (this.peek().t === "digit") frac += (this.toks[this.i++] as { v: string }).v;
    }
    if (digits.length + frac.length > LIMITS.maxDigits) throw new GradeLimitError("number too long");
    const value = q(BigInt(digits + frac), 10n ** BigInt(frac.length));
    return num(value, frac.length > 0);
  }
}

/**
 * Parse LaTeX math the way sympy's `parse_latex` reads it (MathArena's fallback parser):
 * implicit multiplication binds tighter than `/`, digits separated by spaces form one number,
 * `\log_b x`, `\sin^2 x`, `\sqrt[n]{x}`, `\binom`, `|x|`, floor/ceil; `e`, `i`, `\pi`, `\infty`
 * are constants. Throws LatexSyntaxError or GradeLimitError.
 * @example
 * printAst(parseLatex("2/3\\pi")) // "2/(3*pi)"
 */
export function parseLatex(s: string): Ast {
  // MathArena: `_12` → `_{12}` before parsing
  return new LatexParser(tokenizeLatex(s.replace(/_([0-9]+)/g, "_{$1}"))).parseAll();
}
