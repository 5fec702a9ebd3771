import { test } from "node:test";
import assert from "node:assert/strict";
import {
  extractAnswer, formatGenReport, genReportJson, gradeAnswer, gradeGenFile, lastInteger, normalizeAnswer,
  parseAnswer, removeOuterBrackets, showAnswer,
} from "../src/grade/index.js";
import type { GenFile } from "../src/gen/schema.js";

test("extractAnswer: last box, brace matching, inner boxes, fbox, fallback, strict", () => {
  assert.equal(extractAnswer("a \\boxed{1} b \\boxed{\\frac{1}{2}} c"), "\\frac{1}{2}");
  assert.equal(extractAnswer("\\boxed{\\boxed{7}}"), "7");
  assert.equal(extractAnswer("\\fbox{x^{2}}"), "x^{2}");
  assert.equal(extractAnswer("\\boxed{1} and \\boxed{2 unclosed"), "1");
  assert.equal(extractAnswer("we get 17 apples."), "17");
  assert.equal(extractAnswer("we get 17 apples.", { strict: true }), null);
  assert.equal(extractAnswer(""), null);
  assert.equal(extractAnswer("\\boxed{2}, \\boxed{3}", { list: true }), "2,3");
  assert.equal(extractAnswer("\\boxed{2}, \\boxed{3}"), "3");
  assert.equal(extractAnswer("\\boxed{}"), "");
});

test("lastInteger follows \\b\\d+\\b", () => {
  assert.equal(lastInteger("x2 and 3.5"), "5");
  assert.equal(lastInteger("a1b"), null);
  assert.equal(lastInteger("-12"), "12");
  assert.equal(lastInteger("007."), "007");
});

test("normalisation rules", () => {
  assert.equal(normalizeAnswer("x = 1{,}000.", false), "1000");
  assert.equal(normalizeAnswer("\\left[ 1, 2 \\right]", true), "( 1, 2 )");
  assert.equal(normalizeAnswer("5 \\text{ cm}", false), "5");
  assert.equal(normalizeAnswer("30^\\circ", false), "30");
  assert.equal(normalizeAnswer("3.14 \\approx \\pi", false), "3.14");
  assert.equal(normalizeAnswer("x \\in \\{1, 2\\}", true), "(1, 2)");
  assert.equal(removeOuterBrackets("((1, 2))"), "1, 2");
  assert.equal(removeOuterBrackets("(1)(2)"), "(1)(2)");
});

test("normal forms", () => {
  assert.equal(showAnswer(parseAnswer("\\frac{6}{4}", false)), "3/2");
  assert.equal(showAnswer(parseAnswer("0.25", false)), "0.25");
  assert.equal(showAnswer(parseAnswer("1, 2", true)), "[1, 2]");
  assert.equal(gradeAnswer("\\boxed{2\\sqrt{3}}", "\\sqrt{12}").normalizedAnswer, "2*3^(1/2)");
});

test("gradeAnswer: verdict fields; gold graded as String(gold)", () => {
  const v = gradeAnswer("so \\boxed{042}", 42);
  assert.deepEqual(v, { correct: true, extracted: "042", normalizedAnswer: "42", normalizedGold: "42", source: "box" });
  assert.equal(gradeAnswer("\\boxed{1.5}", 1.5).correct, true);
  assert.equal(gradeAnswer("\\boxed{3}", "3.0").correct, true);
  assert.equal(gradeAnswer("I think 9", 9).source, "last-integer");
});

const file = (solutions: string[][], golds: (string | number)[]): GenFile => ({
  metadata: { model_name: "m", dataset: "d", N: solutions[0].length },
  results: golds.map((gold, i) => ({
    index: i * 10,
    question: `q${i}`,
    gold_answer: gold,
    solutions: solutions[i].map((text) => ({ text, num_tokens: 5 })),
  })),
});

test("gradeGenFile: accuracy, pass rate, pass@N, unparseable", () => {
  const g = gradeGenFile(file([
    ["\\boxed{1}", "\\boxed{2}", "\\boxed{1}", "no answer"],
    ["\\boxed{\\frac{1}{2}}", "\\boxed{0.5}", "\\boxed{}", "\\boxed{3}"],
    ["\\boxed{5}", "\\boxed{6}", "\\boxed{6}", "\\boxed{7}"],
  ], [1, "\\frac12", 9]));
  assert.deepEqual(g.problems.map((p) => p.correct), [2, 2, 0]);
  assert.deepEqual(g.problems.map((p) => p.passRate), [0.5, 0.5, 0]);
  assert.ok(Math.abs(g.accuracy - 1 / 3) < 1e-12);
  assert.ok(Math.abs(g.passAtN - 2 / 3) < 1e-12);
  assert.equal(g.unparseable, 2); // "no answer" and the empty box
  assert.deepEqual(g.problems[0].solutions.filter((s) => s.unparseable).map((s) => s.index), [3]);
  assert.equal(g.solutions, 12);
  assert.equal(g.correct, 4);
});

test("majority vote groups equivalent answers; ties go to the earliest group", () => {
  const g = gradeGenFile(file([
    ["\\boxed{0.5}", "\\boxed{3}", "\\boxed{\\frac{1}{2}}", "\\boxed{3}", "\\boxed{2/4}"],
    ["\\boxed{4}", "\\boxed{5}", "\\boxed{5}", "\\boxed{4}", "nothing"],
    ["x", "y", "z", "w", "v"],
  ], ["\\frac{1}{2}", 5, 1]));
  assert.deepEqual(g.problems[0].majority, { answer: "0.5", votes: 3, correct: true });
  assert.deepEqual(g.problems[1].majority, { answer: "4", votes: 2, correct: false }); // 4 came first
  assert.deepEqual(g.problems[2].majority, { answer: null, votes: 0, correct: false });
  assert.ok(Math.abs(g.majorityAccuracy - 1 / 3) < 1e-12);
});

test("reports: table and JSON keyed by problem and solution index", () => {
  const g = gradeGenFile(file([["\\boxed{1}", "2"]], [1]));
  const text = formatGenReport([{ path: "a.json", grade: g }, { path: "b.json", grade: g }], true);
  assert.match(text, /== a\.json: d, m, N=2/);
  assert.match(text, /pooled\s+2\s+4\s+50\.00%\s+100\.00%\s+100\.00%/);
  assert.match(text, /unparseable answers: 0/);
  const doc = genReportJson([{ path: "a.json", grade: g }]) as any;
  assert.equal(doc.files[0].problems["0"].solutions["0"].correct, true);
  assert.equal(doc.files[0].problems["0"].solutions["1"].extracted, "2");
  assert.equal(doc.files[0].problems["0"].solutions["1"].source, "last-integer");
  assert.equal(doc.pooled.accuracy, 0.5);
});
