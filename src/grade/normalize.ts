/**
 * MathArena's string normalisation of an answer before it is parsed. Each step is a rule of its
 * `normalize_string`, in its order; several are surprising and kept on purpose (see README).
 */

/** MathArena's `strip`: whitespace, literal `\n` at both ends, leading `\ `, a leading `\\(`. */
export function stripAnswer(s: string): string {
  s = s.trim();
  while (s.startsWith("\\n")) s = s.slice(2);
  while (s.endsWith("\\n")) s = s.slice(0, -2);
  while (s.startsWith("\\ ")) s = s.slice(2);
  while (/^\\{2,}\n?\(/.test(s)) s = s.slice(3);
  return s;
}

/** Drop the spacing commands `\;`, `\:`, `\,`, `\!`. */
export function removeSpacing(s: string): string {
  return s.replace(/\\[;:,!]/g, "");
}

/**
 * "and"/"or" (bare or in `\text{}`) become a comma, or vanish when a comma is already next to
 * them. Only for list answers. Note it matches inside words too ("random" → "r,m"), as MathArena does.
 * @example
 * replaceAndOr("2 and 3") // "2 , 3"
 */
export function replaceAndOr(s: string): string {
  const re = /(?:\\text\s*\{\s*)?(and|or)(?:\s*\})?/gi;
  let out = "";
  let idx = 0;
  for (const m of s.matchAll(re)) {
    const start = m.index!;
    const end = start + m[0].length;
    out += s.slice(idx, start);
    let j = start - 1;
    while (j >= 0 && /\s/.test(s[j])) j--;
    let k = end;
    while (k < s.length && /\s/.test(s[k])) k++;
    out += (j >= 0 && s[j] === ",") || (k < s.length && s[k] === ",") ? "" : ",";
    idx = end;
  }
  return out + s.slice(idx);
}

/** `\begin{align…}…\end{align…}` → its body without `&` and `\\`. */
function removeAligns(s: string): string {
  return s.replace(/\\begin\{align[^}]*\}([\s\S]*?)\\end\{align[^}]*\}/g, (_m, body: string) =>
    body.replaceAll("&", "").replaceAll("\\\\", ""),
  );
}

/**
 * Normalise an extracted answer as MathArena does before parsing: drop sizing commands, `$`,
 * `\text{…}` (with its content!), `^\circ`, `\displaystyle`, one trailing `.`; `[]` and `\{\}`
 * become `()`; outside lists, commas between digits go (thousands separators); keep what follows
 * the last `=`, what precedes the first `\approx`, and in lists what follows the last `\in`.
 * @example
 * normalizeAnswer("x = 1{,}000.", false) // "1000"
 */
export function normalizeAnswer(s: string, listAnswer: boolean): string {
  for (const cmd of ["\\left", "\\right", "\\Bigl", "\\Bigr", "\\bigl", "\\bigr", "\\Big", "\\big", "\\Large", "\\large"]) {
    s = s.replaceAll(cmd, "");
  }
  s = removeAligns(s);
  s = s.replaceAll("[", "(").replaceAll("]", ")");
  s = s.replaceAll("\\{", "(").replaceAll("\\}", ")");
  s = s.replaceAll("$", "").replaceAll("\\ ", " ");
  s = s.replaceAll("\\hline", "").replaceAll("\\vline", "").replaceAll("\\quad", " ");
  s = s.replaceAll("−", "-").replaceAll("–", "-").replaceAll("·", " \\cdot ");
  s = s.replaceAll("^\\circ", " ").replaceAll("^{\\circ}", " ");
  s = s.replaceAll("\\displaystyle", "").replaceAll("\\(", "(").replaceAll("\\)", ")");
  s = s.replaceAll("{,}", "");
  if (s.endsWith(".")) s = s.slice(0, -1);
  if (listAnswer) s = replaceAndOr(s);
  if (!listAnswer) s = s.replace(/(?<=\d),(?=\d)/g, "");
  else s = s.replaceAll(";", ",");
  // `\sqrt 2` → `\sqrt{2}`; when any `\sqrt ` is present this rewrites every `\sqrt` (MathArena)
  if (s.includes("\\sqrt ")) s = s.replace(/\\sqrt\s*([^\s{}]*)/g, "\\sqrt{$1}");
  s = s.replace(/\\text\{.*?\}/g, "");
  s = s.replace(/\\mathrm\{(.*?)\}/g, " $1 ");
  s = s.replaceAll("F_{30}", "832040"); // MathArena: a Fibonacci number in one HMMT problem
  if (s.includes("=")) s = s.slice(s.lastIndexOf("=") + 1);
  if (listAnswer && s.includes("\\in")) s = s.slice(s.lastIndexOf("\\in") + 3);
  if (s.includes("\\approx")) {
    s = s.slice(0, s.indexOf("\\approx"));
    if (s.endsWith("(")) s = s.slice(0, -1);
  }
  return stripAnswer(s);
}

/**
 * Remove parentheses that wrap the whole string, repeatedly: `((1, 2))` → `1, 2`. As in
 * MathArena, a pair counts as wrapping when the depth never returns to 0 before the end, so an
 * unbalanced `((1)` also loses its first `(`. Bounded to 256 layers.
 * @example
 * removeOuterBrackets("((1, 2))") // "1, 2"
 */
export function removeOuterBrackets(s: string): string {
  for (let layer = 0; layer < 256; layer++) {
    if (!s || s[0] !== "(" || s[s.length - 1] !== ")") return s;
    let count = 0;
    for (let i = 0; i < s.length; i++) {
      if (s[i] === "(") count++;
      else if (s[i] === ")") count--;
      if (count === 0 && i !== s.length - 1) return s;
    }
    s = s.slice(1, -1);
  }
  return s;
}
