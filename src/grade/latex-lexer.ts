/**
 * Tokens of LaTeX math as sympy's `parse_latex` grammar (LaTeX.g4) sees them: spacing commands,
 * `\left`/`\right` and a few others are skipped, every digit and letter is its own token, any
 * other `\name` is a command.
 */
export type LTok =
  | { t: "digit"; v: string }
  | { t: "letter"; v: string }
  | { t: "cmd"; v: string }
  | { t: "op"; v: string }
  | { t: "end" };

const SKIP = new Set([
  "thinspace", "medspace", "thickspace", "quad", "qquad", "negthinspace", "negmedspace",
  "negthickspace", "left", "right", "vrule", "vcenter", "vbox", "vskip", "vspace", "hfil",
]);
const SKIP_SYMBOLS = new Set([",", ":", ";", "!", "*", "-", ".", "/", '"', "(", "=", "%"]);
const OPS = new Set(["+", "-", "*", "/", "(", ")", "{", "}", "[", "]", "|", "^", "_", "!", ":", ",", "."]);

/** Thrown for input the LaTeX grammar does not accept. */
export class LatexSyntaxError extends Error {
  override name = "LatexSyntaxError";
}

/**
 * Split LaTeX into tokens; throws LatexSyntaxError on characters the grammar has no token for.
 * @example
 * tokenizeLatex("\\frac{1}{2}").map((t) => ("v" in t ? t.v : t.t)) // ["frac", "{", "1", "}", "{", "2", "}", "end"]
 */
export function tokenizeLatex(s: string): LTok[] {
  const out: LTok[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "\\") {
      const m = /^[a-zA-Z]+/.exec(s.slice(i + 1, i + 40));
      if (m) {
        let name = m[0];
        // the lexer is greedy, but a letter run longer than any command name is rare; keep it whole
        let j = i + 1 + name.length;
        while (j < s.length && /[a-zA-Z]/.test(s[j])) name += s[j++];
        i = j;
        if (!SKIP.has(name)) out.push({ t: "cmd", v: name });
      } else {
        const next = s[i + 1] ?? "";
        if (SKIP_SYMBOLS.has(next)) i += 2;
        else if (next === "{" || next === "}") {
          out.push({ t: "op", v: "\\" + next });
          i += 2;
        } else throw new LatexSyntaxError(`unexpected \\${next}`);
      }
    } else if (ch >= "0" && ch <= "9") {
      out.push({ t: "digit", v: ch });
      i++;
    } else if (/[a-zA-Z]/.test(ch)) {
      out.push({ t: "letter", v: ch });
      i++;
    } else if (OPS.has(ch)) {
      out.push({ t: "op", v: ch });
      i++;
    } else {
      throw new LatexSyntaxError(`unexpected ${ch}`);
    }
  }
  out.push({ t: "end" });
  return out;
}
