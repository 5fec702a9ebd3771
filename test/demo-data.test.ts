import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, type Token } from "node-llama-cpp";
import { buildDemoTokenizer, demoCorpus } from "../src/demo/tokenizer.js";
import { DEMO_DATA, DEMO_GENERATOR, DEMO_PRM, DEMO_DIR } from "../src/demo/paths.js";
import { projectRoot } from "../src/util/version.js";

interface Row {
  problem_idx: number;
  problem: string;
  answer: number;
  solution: string;
}

const rows: Row[] = readFileSync(DEMO_DATA, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const EQUATION = /^(\d+) ([-+*/]) (\d+) = (-?\d+)\.$/;
const FINAL = /^Therefore, the final answer is: \$\\boxed\{(\d+)\}\$\. I hope it is correct\.$/;

function apply(a: number, op: string, b: number): number {
  return op === "+" ? a + b : op === "-" ? a - b : op === "*" ? a * b : a / b;
}

test("the demo data set: 300 distinct ASCII problems with integer answers", () => {
  assert.equal(rows.length, 300);
  assert.deepEqual(rows.map((r) => r.problem_idx), rows.map((_, i) => i + 1));
  assert.equal(new Set(rows.map((r) => r.problem)).size, rows.length);
  for (const r of rows) {
    assert.ok(/^[\x20-\x7e]+$/.test(r.problem), r.problem);
    assert.ok(Number.isInteger(r.answer) && r.answer > 0, `answer ${r.answer}`);
    assert.ok(r.problem.endsWith("have now?"));
  }
});

test("every reference solution checks out step by step and ends in the boxed answer", () => {
  for (const r of rows) {
    const steps = r.solution.split("\n\n");
    assert.ok(steps.length >= 3 && steps.length <= 5, `${steps.length} steps`);
    const numbers: number[] = [];
    let value: number | undefined;
    steps.slice(0, -1).forEach((step, i) => {
      const [header, equation, ...rest] = step.split("\n");
      assert.equal(rest.length, 0);
      assert.match(header, new RegExp(`^## Step ${i + 1}: [A-Za-z ]+$`));
      const m = EQUATION.exec(equation);
      assert.ok(m, `step ${i + 1} of problem ${r.problem_idx}: ${equation}`);
      const [a, op, b, c] = [Number(m[1]), m[2], Number(m[3]), Number(m[4])];
      assert.equal(apply(a, op, b), c, equation);
      if (value !== undefined) assert.equal(a, value, "each step continues from the previous result");
      else numbers.push(a);
      numbers.push(b);
      value = c;
    });
    const final = FINAL.exec(steps.at(-1)!);
    assert.ok(final, steps.at(-1));
    assert.equal(Number(final[1]), r.answer);
    assert.equal(value, r.answer);
    // the question states exactly the operands, in order
    assert.deepEqual((r.problem.match(/\d+/g) ?? []).map(Number), numbers, r.problem);
  }
});

test("the shipped tokenizer is the one learned from the demo conversations", () => {
  const corpus = demoCorpus(
    rows,
    readFileSync(join(projectRoot, "assets/generator-system-prompt.txt"), "utf8"),
    readFileSync(join(projectRoot, "assets/qwen-prm-system-prompt.txt"), "utf8"),
  );
  const built = buildDemoTokenizer(corpus, 640);
  const shipped = JSON.parse(readFileSync(join(DEMO_DIR, "tokenizer/tokenizer.json"), "utf8"));
  assert.deepEqual(JSON.parse(JSON.stringify(built.tokenizer)), shipped);
  assert.deepEqual(JSON.parse(JSON.stringify(built.tokenizerConfig)), JSON.parse(readFileSync(join(DEMO_DIR, "tokenizer/tokenizer_config.json"), "utf8")));
  assert.deepEqual(built.specialIds, { "<|endoftext|>": 636, "<|im_start|>": 637, "<|im_end|>": 638, "<extra_0>": 639 });
  // digits never merge: Qwen2's pre-tokenizer gives each digit its own token
  assert.ok(built.merges.every((m) => !/\d/.test(m)));
  for (const model of ["generator", "prm"]) {
    for (const f of ["tokenizer.json", "tokenizer_config.json"]) {
      assert.equal(readFileSync(join(DEMO_DIR, "hf", model, f), "utf8"), readFileSync(join(DEMO_DIR, "tokenizer", f), "utf8"), `${model}/${f}`);
    }
  }
});

test("the demo GGUFs are small, tokenize like training did and reproduce the reference outputs", async () => {
  const size = statSync(DEMO_GENERATOR).size + statSync(DEMO_PRM).size;
  assert.ok(size <= 20e6, `${size} bytes`);
  const metrics = JSON.parse(readFileSync(join(DEMO_DIR, "hf/metrics.json"), "utf8"));
  const llama = await getLlama({ gpu: false, maxThreads: 2, build: "never" });
  const gen = await llama.loadModel({ modelPath: DEMO_GENERATOR });
  const prm = await llama.loadModel({ modelPath: DEMO_PRM });
  try {
    assert.equal((prm.fileInfo.metadata as any).prm_rel?.family, "qwen-prm-head");
    for (const ref of metrics.reference.prm) {
      // the PRM input as training tokenized it (Python BPE) = llama.cpp's tokenization of its text
      assert.deepEqual(Array.from(prm.tokenize(prm.detokenize(ref.ids as Token[], true), true)), ref.ids);
    }
    const first = metrics.reference.generator_first_token_top5;
    const ids: Token[] = first.prompt_ids;
    assert.deepEqual(Array.from(gen.tokenize(gen.detokenize(ids, true), true)), ids);
    const ctx = await gen.createContext({ contextSize: 512 });
    try {
      const res = await ctx.getSequence().controlledEvaluate([...ids.slice(0, -1), [ids.at(-1)!, { generateNext: { probabilities: true } }]]);
      const probs = res.at(-1)!.next!.probabilities!;
      first.ids.forEach((id: Token, i: number) => {
        const lp = Math.log(probs.get(id) ?? 0);
        assert.ok(Math.abs(lp - first.logprobs[i]) < 5e-3, `token ${id}: ${lp} vs ${first.logprobs[i]}`);
      });
    } finally {
      await ctx.dispose();
    }
  } finally {
    await gen.dispose();
    await prm.dispose();
  }
});

test("the seeded generator script remakes the shipped data set", (t) => {
  let python = "";
  for (const candidate of ["python3", "python"]) {
    try {
      execFileSync(candidate, ["--version"], { stdio: "ignore" });
      python = candidate;
      break;
    } catch {
      // try the next name
    }
  }
  if (!python) return t.skip("no python3 on this machine");
  const out = join(mkdtempSync(join(tmpdir(), "prm-rel-demo-")), "arith.jsonl");
  execFileSync(python, [join(projectRoot, "scripts/demo/dataset.py"), "--out", out, "--n", "300", "--seed", "1"]);
  assert.equal(readFileSync(out, "utf8"), readFileSync(DEMO_DATA, "utf8"));
});
