import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama } from "node-llama-cpp";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { headRewardFromFirstLayer } from "../src/prm/head-math.js";
import { loadPrm } from "../src/prm/load.js";
import { makeTinyPlusMinusPrm, makeTinyQwenPrm } from "../src/prm/tiny.js";
import { aggregate, parseAggregations, parseThresholds } from "../src/score/aggregate.js";
import { createScoringContexts } from "../src/score/context.js";
import { guardOutputReorder } from "../src/llama/output-reorder.js";
import { SequenceWorker, runEngine, type JobResult } from "../src/score/engine.js";
import { naiveItems, planSolution, viewScores } from "../src/score/plan.js";
import { llamaTextTokenizer, truncate } from "../src/score/truncate.js";
import { matVec, referenceForward } from "./reference/forward.js";

const dir = mkdtempSync(join(tmpdir(), "prm-rel-engine-"));
const llamaP = getLlama({ gpu: false, maxThreads: 1 });
const STEPS = ["Let x be the number of apples.", "Then 3x + 5 = 20, so x = 5.", "Each box holds 6 eggs, so there are 4 boxes in total.", "The answer is \\boxed{5}."];
const SOLUTIONS = [STEPS.join("\n\n"), STEPS.slice(1).join("\n\n"), [STEPS[0], STEPS[2], STEPS[3]].join("\n\n")];
const THRESHOLDS = [4, 9, 17, 30, 1000];

test("aggregations by hand; flag parsing lists the valid names", () => {
  const r = { steps: [0.2, 0.4, 0.9], whole: 0.33 };
  assert.ok(Math.abs(aggregate("mean", r) - 0.5) < 1e-12);
  assert.equal(aggregate("min", r), 0.2);
  assert.equal(aggregate("last", r), 0.9);
  assert.equal(aggregate("whole", r), 0.33);
  assert.deepEqual(parseAggregations(["min", "mean", "min"]), ["min", "mean"]);
  assert.throws(() => parseAggregations(["median"]), /unknown aggregation "median"; valid: mean, min, last, whole/);
  assert.deepEqual(parseThresholds(["128", "256"]), [128, 256]);
  for (const bad of ["0", "-5", "1.5", "abc"]) assert.throws(() => parseThresholds([bad]), /not a positive integer/);
});

test("truncation keeps the first τ generator tokens, decoded; τ past the end is the whole text", async () => {
  const path = join(dir, "gen.gguf");
  await writeTinyModel(path, makeTinyModel({ seed: 2 }));
  const model = await (await llamaP).loadModel({ modelPath: path, vocabOnly: true });
  const tok = llamaTextTokenizer(model);
  const text = SOLUTIONS[0];
  const ids = tok.tokenize(text);
  const cut = truncate(text, tok, [1, 5, ids.length, ids.length + 7]);
  assert.equal(cut.length, ids.length);
  assert.equal(cut.texts[0], tok.detokenize(ids.slice(0, 1)));
  assert.equal(cut.texts[1], tok.detokenize(ids.slice(0, 5)));
  assert.ok(text.startsWith(cut.texts[1]) && cut.texts[1].length < text.length);
  assert.equal(cut.texts[2], text);
  assert.equal(cut.texts[3], text);
  assert.equal(tok.tokenize(cut.texts[1]).length, 5);
  await model.dispose();
});

for (const family of ["qwen-prm-head", "plus-minus"] as const) {
  test(`engine (${family}): prefix reuse gives the naive method's scores with fewer tokens; partial views match the reference`, async () => {
    const path = join(dir, `${family}.gguf`);
    const qwen = family === "qwen-prm-head" ? makeTinyQwenPrm({ seed: 5 }) : undefined;
    const tiny = qwen?.model ?? makeTinyPlusMinusPrm({ seed: 9 });
    await writeTinyModel(path, tiny);
    const prm = await loadPrm(await llamaP, path);
    const genModel = await (await llamaP).loadModel({ modelPath: join(dir, "gen.gguf"), vocabOnly: true });
    const tok = llamaTextTokenizer(genModel);
    const plans = SOLUTIONS.map((text) => planSolution(prm.scorer, "Find x.", [...truncate(text, tok, THRESHOLDS).texts, text], true));
    const run = async (reuse: boolean, jobs: { key: number; items: ReturnType<typeof naiveItems> }[]) => {
      const { contexts } = await createScoringContexts(prm.model, { contextSize: 400, layout: { contexts: 1, sequences: 2 }, gpu: false });
      const out = new Map<number, JobResult>();
      await runEngine(jobs, { scorer: prm.scorer, contexts, reuse, onJobDone: (job, r) => out.set(job.key, r) });
      for (const c of contexts) await c.dispose();
      return out;
    };
    const engine = await run(true, plans.map((p, key) => ({ key, items: p.items })));
    // The naive method: a fresh pass for every τ × aggregation (the released script's work).
    const aggs = ["mean", "min", "last", "whole"] as const;
    const naive = await run(false, plans.map((p, key) => ({ key, items: naiveItems(p, THRESHOLDS.length, aggs) })));
    let used = 0;
    let naiveUsed = 0;
    plans.forEach((plan, key) => {
      const views = viewScores(plan, engine.get(key)!.rewards, aggs);
      const naiveRewards = naive.get(key)!.rewards;
      used += engine.get(key)!.tokensEvaluated;
      naiveUsed += naive.get(key)!.tokensEvaluated;
      THRESHOLDS.forEach((_tau, v) => {
        aggs.forEach((agg, a) => {
          const fresh = naiveRewards[v * aggs.length + a];
          const want = agg === "whole" ? fresh[0] : agg === "mean" ? fresh.reduce((x, y) => x + y, 0) / fresh.length : agg === "min" ? Math.min(...fresh) : fresh[fresh.length - 1];
          assert.ok(Math.abs(views[v].scores[agg]! - want) < 1e-4, `solution ${key} τ=${THRESHOLDS[v]} ${agg}: ${views[v].scores[agg]} vs naive ${want}`);
        });
      });
      // One partial view, checked against the independent forward pass.
      const item = plan.items[plan.stepItem[1]];
      const ref = referenceForward(tiny, item.tokens);
      const got = engine.get(key)!.rewards[plan.stepItem[1]];
      item.rewardPositions.forEach((p, i) => {
        let want: number;
        if (qwen) want = headRewardFromFirstLayer(matVec(qwen.head.w1, ref.hidden[p], 64, 64), qwen.head);
        else {
          const l = ref.logits(p);
          want = 1 / (1 + Math.exp(l[tiny.tokens.indexOf("-")] - l[tiny.tokens.indexOf("+")]));
        }
        assert.ok(Math.abs(got[i] - want) <= 1e-3, `reference mismatch ${got[i]} vs ${want}`);
      });
    });
    assert.ok(used * 3 < naiveUsed, `engine evaluated ${used} tokens, naive ${naiveUsed}`);
    await genModel.dispose();
    await prm.model.dispose();
  });
}

test("plan: whole items have one reward; views past the end share the full solution's items", async () => {
  const path = join(dir, "qwen-prm-head.gguf");
  const prm = await loadPrm(await llamaP, path);
  const texts = ["Let x", SOLUTIONS[0], SOLUTIONS[0]];
  const plan = planSolution(prm.scorer, "Find x.", texts, true);
  assert.equal(plan.items.length, 4);
  assert.equal(plan.stepItem[1], plan.stepItem[2]);
  assert.equal(plan.items[plan.wholeItem[1]].rewardPositions.length, 1);
  assert.equal(plan.items[plan.stepItem[1]].rewardPositions.length, STEPS.length);
  assert.equal(plan.items[plan.stepItem[0]].rewardPositions.length, 1);
  await prm.model.dispose();
});

test("plan order: the full text is one decode, then each τ view evaluates only its separator (and a re-cut token)", async () => {
  const prm = await loadPrm(await llamaP, join(dir, "qwen-prm-head.gguf"));
  const genModel = await (await llamaP).loadModel({ modelPath: join(dir, "gen.gguf"), vocabOnly: true });
  const cut = truncate(SOLUTIONS[0], llamaTextTokenizer(genModel), THRESHOLDS);
  const plan = planSolution(prm.scorer, "Find x.", [...cut.texts, SOLUTIONS[0]], false);
  const lengths = plan.items.map((it) => it.tokens.length);
  assert.deepEqual(lengths, [...lengths].sort((a, b) => b - a), "items go longest first");
  const context = await prm.model.createContext({ contextSize: 400, sequences: 1 });
  const worker = new SequenceWorker(context.getSequence(), prm.scorer, true);
  const perItem: number[] = [];
  for (const item of plan.items) {
    const stats = { tokensEvaluated: 0, escalations: 0 };
    await worker.evaluate(item, { value: 0 }, stats);
    perItem.push(stats.tokensEvaluated);
  }
  assert.equal(perItem[0], lengths[0]);
  // The step format adds one separator token after the cut; BPE may re-cut the cut's last token.
  for (const n of perItem.slice(1)) assert.ok(n >= 1 && n <= 3, `a τ view evaluated ${n} tokens: ${perItem.join(", ")}`);
  await context.dispose();
  await genModel.dispose();
  await prm.model.dispose();
});

test("output-reorder guard: the first sample after a decode runs alone, the rest in parallel", async () => {
  const events: string[] = [];
  const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const native = {
    decodeBatch: async () => void events.push("decode"),
    sampleToken: async (i: number) => {
      events.push(`start ${i}`);
      await delay(i === 0 ? 20 : 5);
      events.push(`end ${i}`);
      return i;
    },
  };
  const context = { _ctx: Object.create(native) };
  guardOutputReorder(context as any);
  const ctx = context._ctx as typeof native;
  await ctx.decodeBatch();
  assert.deepEqual(await Promise.all([0, 1, 2].map((i) => ctx.sampleToken(i))), [0, 1, 2]);
  assert.deepEqual(events.slice(0, 4), ["decode", "start 0", "end 0", "start 1"]);
  assert.equal(events[4], "start 2", "samples after the first overlap");
});
