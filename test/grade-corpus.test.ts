import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gradeAnswer } from "../src/grade/index.js";

/**
 * Competition answer forms with the verdict MathArena's own parser gives (eth-sri/matharena,
 * `extract_answer` + `parse_answer` + `check_answers`, non-strict as in all its final-answer
 * competitions), each naming the rule it exercises. `note: "surprising"` marks MathArena
 * behaviour we match on purpose; `note: "deviation"` marks the few places we differ, with
 * MathArena's verdict in `matharena`.
 */
interface Case {
  text: string;
  gold: string | number;
  strict?: boolean;
  correct: boolean;
  rule: string;
  note?: "surprising" | "deviation";
  matharena?: boolean;
}

const corpusPath = fileURLToPath(new URL("../../test/fixtures/grade/corpus.json", import.meta.url));
const corpus = JSON.parse(readFileSync(corpusPath, "utf8")) as Case[];

test("the corpus is large and covers the answer forms", () => {
  assert.ok(corpus.length >= 200, `${corpus.length} cases`);
  const rules = corpus.map((c) => c.rule).join("\n");
  for (const topic of ["leading zeros", "\\frac", "radical", "pi", "list", "interval", "text", "unbalanced", "empty box", "last box", "last integer", "strict"]) {
    assert.ok(rules.includes(topic), `no case about ${topic}`);
  }
  assert.ok(corpus.some((c) => c.correct) && corpus.some((c) => !c.correct));
  for (const c of corpus) if (c.note === "deviation") assert.equal(typeof c.matharena, "boolean", c.rule);
});

test("every corpus case gets MathArena's verdict (or the documented deviation)", async (t) => {
  for (const [i, c] of corpus.entries()) {
    await t.test(`#${i} ${c.rule}`, () => {
      const started = performance.now();
      const v = gradeAnswer(c.text, c.gold, { strict: c.strict ?? false });
      const ms = performance.now() - started;
      assert.equal(v.correct, c.correct, `text ${JSON.stringify(c.text)} gold ${JSON.stringify(c.gold)} → ${JSON.stringify(v)}`);
      assert.ok(ms < 2000, `took ${ms} ms`);
    });
  }
});
