import { LIMITS } from "./limits.js";

/** Where an extracted answer came from. */
export type AnswerSource = "box" | "line-boxes" | "last-integer";

export interface Extraction {
  answer: string;
  source: AnswerSource;
}

/**
 * MathArena's `replace_unicode`: box-drawing brackets some models print become `\boxed{…}`,
 * and `√ × − π` (and a narrow no-break space) become LaTeX.
 * @example
 * replaceUnicode("2√3π") // "2\\sqrt3\\pi"
 */
export function replaceUnicode(text: string): string {
  return text
    .replaceAll("\u23a7", "\\boxed{").replaceAll("\u23ab", "}")
    .replaceAll("\n\u2502", "\\boxed{").replaceAll("\u2502", "}")
    .replaceAll("\n\u2503", "\\boxed{").replaceAll("\u2503", "}")
    .replaceAll("\n\uf8f0", "\\boxed{").replaceAll("\uf8fb", "}")
    .replaceAll("\u221a", "\\sqrt").replaceAll("\u00d7", "\\cdot").replaceAll("\u202f", " ")
    .replaceAll("\u2212", "-").replaceAll("\u03c0", "\\pi");
}

interface Box {
  /** Index of the first character of the whole match (`\boxed{…}` or `boxed{…}`). */
  start: number;
  end: number;
  content: string;
}

/**
 * All `boxed{…}` / `fbox{…}` with balanced braces, left to right, not overlapping (a box inside
 * another is part of the outer one). Like MathArena's recursive regex, the backslash is optional
 * when `withBackslash` is false, and a box whose braces never close is skipped. Linear time.
 */
function findBoxes(text: string, withBackslash: boolean): Box[] {
  const partner = new Int32Array(text.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 123) stack.push(i);
    else if (ch === 125 && stack.length) partner[stack.pop()!] = i;
  }
  const re = withBackslash ? /\\(?:boxed|fbox)\{/g : /(?:boxed|fbox)\{/g;
  const boxes: Box[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const open = m.index + m[0].length - 1;
    const close = partner[open];
    if (close < 0) continue;
    boxes.push({ start: m.index, end: close + 1, content: text.slice(open + 1, close) });
    re.lastIndex = close + 1;
  }
  return boxes;
}

/** MathArena's `remove_inner_boxed`: each `\boxed{x}` inside an answer becomes `x`. */
export function removeInnerBoxed(s: string): string {
  if (s.length > LIMITS.maxAnswerChars) return s;
  const boxes = findBoxes(s, true).map((b) => [s.slice(b.start, b.end), b.content] as const);
  for (const [whole, content] of boxes) s = s.replaceAll(whole, content);
  return s;
}

/**
 * The content of the last box. With `listAnswer` (the gold holds a comma) and several boxes in
 * the text, MathArena instead joins with commas all boxes on the last line that has one
 * (`\boxed{2}, \boxed{3}` → `2,3`).
 * @example
 * findLastBoxed("so \\boxed{1} or rather \\boxed{\\frac{1}{2}}", false)?.answer // "\\frac{1}{2}"
 */
export function findLastBoxed(text: string, listAnswer: boolean): Extraction | null {
  const boxes = findBoxes(text, false);
  if (boxes.length === 0) return null;
  if (boxes.length > 1 && listAnswer) {
    const lines = text.split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      const onLine = lines[i].includes("box") ? findBoxes(lines[i], false) : [];
      if (onLine.length > 0) {
        return { answer: removeInnerBoxed(onLine.map((b) => b.content).join(",")), source: "line-boxes" };
      }
    }
  }
  return { answer: removeInnerBoxed(boxes[boxes.length - 1].content), source: "box" };
}

const WORD = /[\p{L}\p{M}\p{N}\p{Pc}]/u;

/**
 * The last run of digits standing alone as a word (`\b\d+\b`): MathArena's non-strict fallback.
 * @example
 * lastInteger("x_2 = 17, so 3.5") // "5"
 */
export function lastInteger(text: string): string | null {
  let i = text.length - 1;
  while (i >= 0) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      i--;
      continue;
    }
    const end = i + 1;
    while (i >= 0 && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i--;
    const before = i >= 0 ? text[i] : "";
    const after = end < text.length ? text[end] : "";
    if (!(before && WORD.test(before)) && !(after && WORD.test(after))) return text.slice(i + 1, end);
  }
  return null;
}

/** Cap a text to its last LIMITS.maxTextChars characters and apply MathArena's unicode rules. */
export function prepareText(text: string): string {
  const t = text.length > LIMITS.maxTextChars ? text.slice(text.length - LIMITS.maxTextChars) : text;
  return replaceUnicode(t);
}

/**
 * The final answer text of a solution, as MathArena extracts it: the last `\boxed{}`/`\fbox{}`
 * (brace-matched; inner boxes unwrapped), or with `list` the boxes of the last line that has
 * any; with no box and `strict` off, the last standalone integer. null when there is nothing.
 * (`gradeAnswer` also falls back to the last integer when a box's content does not parse.)
 * @example
 * extractAnswer("The answer is $\\boxed{042}$.") // "042"
 * extractAnswer("so it is 17.") // "17"
 * extractAnswer("so it is 17.", { strict: true }) // null
 */
export function extractAnswer(text: string, opts: { strict?: boolean; list?: boolean } = {}): string | null {
  if (typeof text !== "string" || text.length === 0) return null;
  const t = prepareText(text);
  const boxed = findLastBoxed(t, opts.list ?? false);
  if (boxed) return boxed.answer;
  return opts.strict ? null : lastInteger(t);
}
