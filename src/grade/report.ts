import type { GenFileGrade, ProblemGrade } from "./gen-file.js";
import type { Verdict } from "./grade.js";

/** One graded data file, with the path it was read from. */
export interface GradedFile {
  path: string;
  grade: GenFileGrade;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const clip = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + "…" : s);
const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim();

/** Left-aligned columns separated by two blanks. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => (r[j] ?? "").length)));
  return rows.map((r) => r.map((cell, j) => cell.padEnd(widths[j])).join("  ").trimEnd()).join("\n");
}

/**
 * The single-answer report of `prm-rel grade --answer … --gold …`.
 * @example
 * formatVerdict({ correct: true, extracted: "042", normalizedAnswer: "42", normalizedGold: "42", source: "box" })
 * // "extracted:          042   (last \\boxed{})\nnormalized answer:  42\nnormalized gold:    42\nverdict:            correct"
 */
export function formatVerdict(v: Verdict): string {
  const from = v.source === "box" ? "   (last \\boxed{})" : v.source === "line-boxes" ? "   (boxes of the last line)" : v.source === "last-integer" ? "   (last integer: no usable box)" : "";
  return [
    `extracted:          ${v.extracted ?? "(none)"}${from}`,
    `normalized answer:  ${v.normalizedAnswer ?? "(does not parse)"}`,
    `normalized gold:    ${v.normalizedGold}`,
    `verdict:            ${v.correct ? "correct" : "incorrect"}`,
  ].join("\n");
}

function problemRows(problems: ProblemGrade[]): string[][] {
  const rows = [["problem", "gold", "correct", "pass rate", "majority answer", "votes", "majority ok"]];
  for (const p of problems) {
    rows.push([
      String(p.index), clip(oneLine(p.gold), 24), `${p.correct}/${p.solutions.length}`, pct(p.passRate),
      clip(p.majority.answer ?? "-", 24), String(p.majority.votes), p.majority.correct ? "yes" : "no",
    ]);
  }
  return rows;
}

/** A file's or the pooled summary: the file grade's counts and rates, with problems counted. */
type Totals = Pick<GenFileGrade, "solutions" | "correct" | "unparseable" | "accuracy" | "majorityAccuracy" | "passAtN"> & { problems: number };

function totals(grades: GenFileGrade[]): Totals {
  const problems = grades.flatMap((g) => g.problems);
  const n = problems.length || 1;
  return {
    problems: problems.length,
    solutions: grades.reduce((a, g) => a + g.solutions, 0),
    correct: grades.reduce((a, g) => a + g.correct, 0),
    unparseable: grades.reduce((a, g) => a + g.unparseable, 0),
    accuracy: problems.reduce((a, p) => a + p.passRate, 0) / n,
    majorityAccuracy: problems.filter((p) => p.majority.correct).length / n,
    passAtN: problems.filter((p) => p.passAtN).length / n,
  };
}

/**
 * The readable report of `prm-rel grade --data_file …`: per file a per-problem table, then one
 * summary row per file (and a pooled row over all problems when there are several files).
 * With `verbose`, every unparseable answer is listed.
 */
export function formatGenReport(files: GradedFile[], verbose = false): string {
  const out: string[] = [];
  for (const { path, grade } of files) {
    out.push(`== ${path}: ${grade.dataset}, ${grade.model}, N=${grade.N}`, table(problemRows(grade.problems)), "");
    if (verbose) {
      const bad = grade.problems.flatMap((p) => p.solutions.filter((s) => s.unparseable).map((s) => ({ p, s })));
      out.push(`unparseable answers: ${bad.length}`);
      for (const { p, s } of bad) {
        const what = s.extracted === null ? "no answer found" : `"${clip(oneLine(s.extracted), 70)}" does not parse`;
        out.push(`  problem ${p.index} solution ${s.index}: ${what}`);
      }
      out.push("");
    }
  }
  const rows = [["file", "dataset", "problems", "solutions", "accuracy", "majority", "pass@N", "unparseable"]];
  const row = (name: string, dataset: string, t: Totals): string[] => [
    name, dataset, String(t.problems), String(t.solutions), pct(t.accuracy), pct(t.majorityAccuracy), pct(t.passAtN), String(t.unparseable),
  ];
  for (const { path, grade } of files) rows.push(row(path, grade.dataset, totals([grade])));
  if (files.length > 1) rows.push(row("pooled", "", totals(files.map((f) => f.grade))));
  out.push(table(rows));
  out.push("accuracy = mean per-problem pass rate; majority = majority-vote accuracy; pass@N = problems with a correct solution");
  return out.join("\n");
}

const summaryJson = (t: Totals) => ({
  problems: t.problems, solutions: t.solutions, correct: t.correct, unparseable: t.unparseable,
  accuracy: t.accuracy, majority_accuracy: t.majorityAccuracy, pass_at_n: t.passAtN,
});

/**
 * The `--json` document: per file, problems keyed by their `index`, solutions keyed by their
 * position, each with the extracted answer, its normal form and the verdict.
 */
export function genReportJson(files: GradedFile[]): unknown {
  return {
    files: files.map(({ path, grade }) => ({
      file: path,
      dataset: grade.dataset,
      model: grade.model,
      N: grade.N,
      summary: summaryJson(totals([grade])),
      problems: Object.fromEntries(grade.problems.map((p) => [String(p.index), {
        gold: p.gold,
        normalized_gold: p.normalizedGold,
        correct: p.correct,
        pass_rate: p.passRate,
        pass_at_n: p.passAtN,
        majority: p.majority,
        solutions: Object.fromEntries(p.solutions.map((s) => [String(s.index), {
          extracted: s.extracted,
          normalized: s.normalizedAnswer,
          correct: s.correct,
          source: s.source,
          unparseable: s.unparseable,
        }])),
      }])),
    })),
    pooled: summaryJson(totals(files.map((f) => f.grade))),
  };
}
