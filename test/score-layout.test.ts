import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama } from "node-llama-cpp";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { loadPrm } from "../src/prm/load.js";
import { makeTinyQwenPrm } from "../src/prm/tiny.js";
import { createScoringContexts } from "../src/score/context.js";
import { runEngine, type JobResult } from "../src/score/engine.js";
import { defaultLayout, parseLayout, type ScoreLayout } from "../src/score/layout.js";
import { planSolution } from "../src/score/plan.js";
import { runScore } from "../src/score/run.js";
import { llamaTextTokenizer, truncate } from "../src/score/truncate.js";

const dir = mkdtempSync(join(tmpdir(), "prm-rel-layout-"));
const STEPS = ["Let x be the number of boxes.", "Each box holds 6 eggs, so 6x = 24.", "Then x = 4.", "The total cost is 12 dollars.", "So the answer is $\\boxed{4}$."];
// Solutions of varied lengths, so that a multi-sequence decode mixes short and long suffixes.
const SOLUTIONS = [1, 2, 3, 4, 5, 2, 4, 3].map((n, i) => STEPS.slice(0, n).join("\n\n") + (i % 2 ? " Done." : ""));
const ready = (async () => {
  await writeTinyModel(join(dir, "prm.gguf"), makeTinyQwenPrm({ seed: 5 }).model);
  await writeTinyModel(join(dir, "gen.gguf"), makeTinyModel({ seed: 2 }));
})();

test("layout: CONTEXTSxSEQUENCES parses; the default is one sequence per context, up to 16 contexts", () => {
  assert.deepEqual(parseLayout("8x1"), { contexts: 8, sequences: 1 });
  assert.deepEqual(parseLayout(" 1×16 "), { contexts: 1, sequences: 16 });
  for (const bad of ["8", "0x2", "2x0", "ax1", "2x1x1"]) assert.throws(() => parseLayout(bad), /bad score layout/);
  assert.deepEqual(defaultLayout({ gpu: true }), { contexts: 16, sequences: 1 });
  assert.deepEqual(defaultLayout({ gpu: false }), { contexts: 2, sequences: 1 });
  assert.deepEqual(defaultLayout({ gpu: true, parallel: 64 }), { contexts: 16, sequences: 4 });
  assert.deepEqual(defaultLayout({ gpu: true, parallel: 20 }), { contexts: 10, sequences: 2 });
});

test("engine: several one-sequence contexts give the rewards of one multi-sequence context", async () => {
  await ready;
  const llama = await getLlama({ gpu: false, maxThreads: 1 });
  const prm = await loadPrm(llama, join(dir, "prm.gguf"));
  const gen = await llama.loadModel({ modelPath: join(dir, "gen.gguf"), vocabOnly: true });
  const tok = llamaTextTokenizer(gen);
  const plans = SOLUTIONS.map((text) => planSolution(prm.scorer, "How many boxes hold 24 eggs?", [...truncate(text, tok, [4, 9, 17]).texts, text], true));
  const run = async (layout: ScoreLayout) => {
    const made = await createScoringContexts(prm.model, { contextSize: 300, layout, gpu: false });
    assert.deepEqual(made.layout, layout);
    const out = new Map<number, JobResult>();
    await runEngine(plans.map((p, key) => ({ key, items: p.items })), { scorer: prm.scorer, contexts: made.contexts, onJobDone: (job, r) => out.set(job.key, r) });
    for (const c of made.contexts) await c.dispose();
    return out;
  };
  const single = await run({ contexts: 1, sequences: 4 });
  for (const layout of [{ contexts: 4, sequences: 1 }, { contexts: 2, sequences: 2 }]) {
    const multi = await run(layout);
    assert.equal(multi.size, plans.length);
    plans.forEach((_p, key) => {
      single.get(key)!.rewards.forEach((item, i) =>
        item.forEach((r, j) => {
          const got = multi.get(key)!.rewards[i][j];
          assert.ok(Math.abs(got - r) < 1e-5, `${layout.contexts}x${layout.sequences}: solution ${key} item ${i} reward ${j}: ${got} vs ${r}`);
        }),
      );
    });
  }
  await gen.dispose();
  await prm.model.dispose();
});

test("runScore: the layout is in the metadata, and scores do not depend on it", async () => {
  await ready;
  const results = [0, 1].map((p) => ({
    index: p,
    question: `Problem ${p}: how many boxes hold ${24 + p} eggs?`,
    gold_answer: 4,
    solutions: SOLUTIONS.slice(p * 4, p * 4 + 4).map((text) => ({ text, num_tokens: text.length })),
  }));
  const data = join(dir, "data.json");
  writeFileSync(data, JSON.stringify({ metadata: { model_name: "tiny-gen", dataset: "tiny/eggs", N: 4, model_file: join(dir, "gen.gguf") }, results }));
  const score = (layout: string | undefined, name: string) =>
    runScore({
      dataFiles: [data], prmModel: join(dir, "prm.gguf"), thresholds: [4, 8, 16], aggregations: ["mean", "min", "last", "whole"],
      outputFile: join(dir, name), noQuantization: false, device: "cpu", threads: 1, layout,
    });
  const a = (await score("1x3", "a.json")).document;
  const b = (await score("3x1", "b.json")).document;
  const d = (await score(undefined, "d.json")).document;
  const prm = (doc: typeof a) => doc.metadata.prm as Record<string, unknown>;
  assert.deepEqual([prm(a).layout, prm(a).sequences, prm(a).contexts, prm(a).sequences_per_context], ["1x3", 3, 1, 3]);
  assert.deepEqual([prm(b).layout, prm(b).sequences, prm(b).contexts, prm(b).sequences_per_context], ["3x1", 3, 3, 1]);
  assert.equal(prm(d).layout, "2x1", "the CPU default");
  assert.equal(a.metadata.settings.parallel, 3);
  const views = (doc: typeof a) => doc.files[0].problems.flatMap((p) => p.solutions.map((s) => s.views!));
  views(a).forEach((v, i) => {
    for (const [name, view] of Object.entries(v)) {
      const other = views(b)[i][name];
      view.step_rewards.forEach((r, j) => assert.ok(Math.abs(r - other.step_rewards[j]) < 1e-5, `solution ${i} view ${name}: ${r} vs ${other.step_rewards[j]}`));
      assert.ok(Math.abs(view.whole_reward! - other.whole_reward!) < 1e-5);
    }
  });
});
