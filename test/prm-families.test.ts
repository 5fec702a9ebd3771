import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama } from "node-llama-cpp";
import { writeTinyModel } from "../src/gguf/tiny.js";
import { headRewardFromFirstLayer } from "../src/prm/head-math.js";
import { loadPrm } from "../src/prm/load.js";
import { makeTinyPlusMinusPrm, makeTinyQwenPrm } from "../src/prm/tiny.js";
import { SequenceWorker } from "../src/score/engine.js";
import { matVec, referenceForward, softmax } from "./reference/forward.js";

const dir = mkdtempSync(join(tmpdir(), "prm-rel-fam-"));
const QUESTION = "Each box holds 6 eggs. How many boxes hold 24 eggs?";
const STEPS = ["Let x be the number of boxes.", "Then 6x = 24, so x = 4.", "The answer is \\boxed{4}."];
const llamaP = getLlama({ gpu: false, maxThreads: 2 });

async function scoreWith(path: string, steps: string[]) {
  const llama = await llamaP;
  const prm = await loadPrm(llama, path);
  const encoded = prm.scorer.encode(QUESTION, steps);
  const ctx = await prm.model.createContext({ contextSize: 512, sequences: 1, flashAttention: false });
  const worker = new SequenceWorker(ctx.getSequence(), prm.scorer, true);
  const stats = { tokensEvaluated: 0, escalations: 0 };
  const rewards = await worker.evaluate(encoded, { value: 0 }, stats);
  await ctx.dispose();
  await prm.model.dispose();
  return { encoded, rewards, stats, prm };
}

for (const headScale of [1, 40]) {
  test(`qwen-prm-head step rewards equal the reference forward pass (H=64, head scale ${headScale})`, async () => {
    const { model, head } = makeTinyQwenPrm({ seed: 5, headScale });
    const path = join(dir, `qwen-${headScale}.gguf`);
    await writeTinyModel(path, model);
    const { encoded, rewards, stats, prm } = await scoreWith(path, STEPS);
    assert.equal(prm.detection.family, "qwen-prm-head");
    assert.equal(encoded.rewardPositions.length, STEPS.length);
    for (const p of encoded.rewardPositions) assert.equal(encoded.tokens[p], model.specialIds["<extra_0>"]);
    const ref = referenceForward(model, encoded.tokens);
    const want = encoded.rewardPositions.map((p) => headRewardFromFirstLayer(matVec(head.w1, ref.hidden[p], 64, 64), head));
    const worst = Math.max(...rewards.map((r, i) => Math.abs(r - want[i])));
    assert.ok(worst <= 1e-3, `max |reward − reference| = ${worst} (${rewards} vs ${want})`);
    if (process.env.PRM_REL_TEST_VERBOSE) console.error({ worst, rewards, want });
    if (headScale > 1) assert.ok(stats.escalations > 0, "a wide head range needs a higher read-out level");
  });
}

test("plus-minus step rewards equal softmax over the reference '+'/'-' logits", async () => {
  const model = makeTinyPlusMinusPrm({ seed: 9, scale: 1 });
  const path = join(dir, "pm.gguf");
  await writeTinyModel(path, model);
  const { encoded, rewards, prm } = await scoreWith(path, STEPS);
  assert.equal(prm.detection.family, "plus-minus");
  assert.equal(encoded.rewardPositions.length, STEPS.length);
  const plus = model.tokens.indexOf("+");
  const minus = model.tokens.indexOf("-");
  for (const p of encoded.rewardPositions) assert.equal(encoded.tokens[p + 1] ?? plus, plus);
  const ref = referenceForward(model, encoded.tokens);
  const want = encoded.rewardPositions.map((p) => {
    const l = ref.logits(p);
    return softmax([l[plus], l[minus]])[0];
  });
  const worst = Math.max(...rewards.map((r, i) => Math.abs(r - want[i])));
  assert.ok(worst <= 1e-3, `max |reward − reference| = ${worst} (${rewards} vs ${want})`);
    if (process.env.PRM_REL_TEST_VERBOSE) console.error({ worst, rewards, want });
  assert.ok(Math.max(...want) - Math.min(...want) > 1e-3, "rewards differ between steps");
});
