import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertCheckpoint } from "../src/convert/convert.js";
import { dequantizeTensor } from "../src/gguf/dequant.js";
import { readGguf, readTensorBytes } from "../src/gguf/reader.js";
import { loadPrm } from "../src/prm/load.js";
import { ReadoutRangeError } from "../src/prm/family.js";
import { referenceForward } from "./reference/forward.js";
import { writeHfCheckpoint, type HfKind } from "./helpers/hf-checkpoint.js";
import { hfForward, prmReward } from "./helpers/hf-forward.js";
import { testLlama } from "./helpers/llama-eval.js";

/**
 * The converter's output through the rest of the project: the Qwen PRM scorer of src/prm reads
 * rewards from a converted GGUF, and the project's llama.cpp-semantics reference pass
 * (test/reference/forward.ts, NORM rope for llama) over the GGUF's own tensors reproduces the
 * HF-semantics pass over the original weights — two independent checks of names and permutation.
 */
const tmp = mkdtempSync(join(tmpdir(), "prm-rel-scorer-"));
after(async () => (await testLlama()).dispose());

test("src/prm's Qwen head scorer on a converted PRM: step rewards match the reference of the HF weights (f16 ≤ 1e-3)", async () => {
  const ck = writeHfCheckpoint(join(tmp, "prm"), { kind: "qwen2-prm", hidden: 128, ff: 256, shards: 2 });
  const out = join(tmp, "prm.gguf");
  await convertCheckpoint({ input: ck.dir, outfile: out, outtype: "f16" });
  const { model, scorer } = await loadPrm(await testLlama(), out);
  try {
    assert.equal(scorer.family, "qwen-prm-head");
    const steps = ["Let x be the number of apples.", "Then 3x + 5 = 20, so x = 5.", "The answer is \\boxed{5}."];
    const { tokens, rewardPositions } = scorer.encode("How many apples are there?", steps);
    const ref = hfForward(ck.config, ck.weights, [...tokens]);
    const ctx = await model.createContext({ contextSize: 512, sequences: 1 });
    try {
      for (let level = 0; level < scorer.levels; level++) {
        const next = scorer.generateNext(level);
        const want = new Set(rewardPositions);
        const res = await ctx.getSequence().controlledEvaluate(tokens.map((t, i) => (want.has(i) ? [t, { generateNext: next }] : t)) as any);
        try {
          for (const p of rewardPositions) {
            const got = scorer.reward(res[p]!.next!.probabilities!, level);
            const expected = prmReward(ck.weights, ref.hidden[p]);
            assert.ok(Math.abs(got - expected) <= 1e-3, `step at ${p}: ${got} vs reference ${expected}`);
          }
          return;
        } catch (error) {
          if (!(error instanceof ReadoutRangeError)) throw error;
          await ctx.getSequence().clearHistory();
        }
      }
      assert.fail("no read-out level covered the head's range");
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
});

for (const kind of ["qwen2", "llama"] as HfKind[]) {
  test(`${kind}: test/reference/forward.ts over the converted GGUF's tensors equals the HF pass over the original weights`, async () => {
    const ck = writeHfCheckpoint(join(tmp, kind), { kind, heads: 4, kvHeads: 2, shards: 2 });
    const out = join(tmp, `${kind}-f32.gguf`);
    await convertCheckpoint({ input: ck.dir, outfile: out, outtype: "f32" });
    const g = readGguf(out);
    const weights = new Map(g.tensors.map((t) => {
      const n = t.shape.reduce((a, b) => a * b, 1);
      return [t.name, { shape: [...t.shape].reverse(), data: dequantizeTensor(readTensorBytes(out, t), t.type, n) }];
    }));
    const c = ck.config;
    const model = { options: { arch: kind as "qwen2" | "llama", nEmbd: c.hidden_size, nLayer: c.num_hidden_layers, nHead: c.num_attention_heads, nHeadKv: c.num_key_value_heads, nFf: c.intermediate_size }, weights };
    const ids = Array.from({ length: 24 }, (_, i) => (i * 41 + 7) % 300);
    const theirs = referenceForward(model, ids, { eps: c.rms_norm_eps, ropeBase: c.rope_theta });
    const mine = hfForward(c, ck.weights, ids, [23]);
    let worst = 0;
    for (let p = 0; p < ids.length; p++) for (let i = 0; i < c.hidden_size; i++) worst = Math.max(worst, Math.abs(theirs.hidden[p][i] - mine.hidden[p][i]));
    assert.ok(worst < 1e-9, `hidden states differ by ${worst}`);
    const l1 = theirs.logits(23), l2 = mine.logits.get(23)!;
    assert.ok(l1.every((v, i) => Math.abs(v - l2[i]) < 1e-9), "logits");
  });
}
