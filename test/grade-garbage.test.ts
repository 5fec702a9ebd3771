import { test } from "node:test";
import assert from "node:assert/strict";
import { gradeAnswer } from "../src/grade/index.js";

/**
 * Garbage in must give a verdict quickly: bounded work per answer, never a hang or a throw.
 * The bound is generous (the machine is shared); typical times are a few to ~100 ms.
 */
const BOUND_MS = 3000;
const rep = (s: string, n: number): string => s.repeat(n);

const cases: [string, string, string][] = [
  ["2 MB of balanced braces in a box", "\\boxed{" + rep("{", 1_000_000) + rep("}", 1_000_000) + "}", "1"],
  ["2 MB of unclosed braces", "\\boxed{" + rep("{", 2_000_000), "1"],
  ["300k unclosed boxes", rep("\\boxed{", 300_000), "1"],
  ["200k closed boxes", rep("\\boxed{1}", 200_000), "1"],
  ["100k boxes on one line, list gold", rep("\\boxed{1}, ", 100_000), "1, 2"],
  ["100k lines of boxes, list gold", rep("\\boxed{1}\n", 100_000), "1,2"],
  ["\\frac nested 10 000 deep", "\\boxed{" + rep("\\frac{1}{", 10_000) + "2" + rep("}", 10_000) + "}", "2"],
  ["\\sqrt nested 5 000 deep", "\\boxed{" + rep("\\sqrt{", 5_000) + "2" + rep("}", 5_000) + "}", "2"],
  ["10^{10^{10}}", "\\boxed{10^{10^{10}}}", "10^{10^{10}}"],
  ["10^{10^{10}} against 1", "\\boxed{10^{10^{10}}}", "1"],
  ["2^{2^{2^{2^{2}}}}", "\\boxed{2^{2^{2^{2^{2}}}}}", "2"],
  ["power tower of 5 000 twos", "\\boxed{" + rep("2^", 5_000) + "2}", "2"],
  ["(10^{10})!", "\\boxed{(10^{10})!}", "1"],
  ["3!!!!!", "\\boxed{3!!!!!}", "720"],
  ["huge binomial", "\\boxed{\\binom{10^{9}}{500000000}}", "1"],
  ["1 000 000th root", "\\boxed{\\sqrt[1000000]{2}}", "1"],
  ["100k nested parentheses", "\\boxed{" + rep("(", 100_000) + "1" + rep(")", 100_000) + "}", "1"],
  ["a 1 MB integer without a box", rep("7", 1_000_000), "7"],
  ["a 1 MB integer in a box", "\\boxed{" + rep("7", 1_000_000) + "}", "7"],
  ["100k commas, list gold", "\\boxed{" + rep("1,", 100_000) + "}", "1, 2"],
  ["5k unclosed list openers", "\\boxed{" + rep("(1,", 5_000) + "}", "1, 2"],
  ["100k minus signs", "\\boxed{" + rep("-", 100_000) + "1}", "1"],
  ["sum of 9 001 ones", "\\boxed{" + rep("1+", 9_000) + "1}", "9001"],
  ["2 MB of LaTeX-ish noise", Array.from({ length: 2_000_000 }, (_, i) => "{}()[]\\^_,0123456789abxyz+-*/ \n"[(i * 7919) % 33]).join(""), "1"],
  ["3 000 unclosed align environments", "\\boxed{" + rep("\\begin{align", 3_000) + "}", "1"],
  ["garbage gold", "\\boxed{1}", rep("\\frac{", 50_000)],
  ["huge gold", "\\boxed{1}", "10^{10^{10}}"],
];

for (const [name, text, gold] of cases) {
  test(`garbage gets a verdict fast: ${name}`, () => {
    const started = performance.now();
    const v = gradeAnswer(text, gold);
    const ms = performance.now() - started;
    assert.equal(typeof v.correct, "boolean");
    assert.ok(ms < BOUND_MS, `${name}: ${ms.toFixed(0)} ms`);
  });
}

test("garbage verdicts are the expected ones", () => {
  assert.equal(gradeAnswer("\\boxed{10^{10^{10}}}", "10^{10^{10}}").correct, false);
  assert.equal(gradeAnswer("\\boxed{" + rep("{", 1_000_000) + rep("}", 1_000_000) + "}", "1").correct, false);
  assert.equal(gradeAnswer(rep("\\boxed{", 300_000), "1").extracted, null);
  // a sum this long is past the depth bound: it does not parse, and there is no other integer
  assert.equal(gradeAnswer("\\boxed{" + rep("1+", 9_000) + "1}", "9001").correct, false);
  assert.equal(gradeAnswer("\\boxed{" + rep("1+", 200) + "1}", "201").correct, true);
  assert.equal(gradeAnswer("\\boxed{3!!!}", String(720n * 0n + 1n)).correct, false);
});

test("non-string input does not throw", () => {
  for (const bad of [undefined, null, 42, {}, []]) {
    const v = gradeAnswer(bad as unknown as string, "1");
    assert.equal(v.correct, false);
    assert.equal(v.extracted, null);
  }
});
