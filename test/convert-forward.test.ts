import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertCheckpoint } from "../src/convert/convert.js";
import type { OutType } from "../src/convert/types.js";
import { GgmlType } from "../src/gguf/constants.js";
import { dequantizeTensor } from "../src/gguf/dequant.js";
import { encodeTensor } from "../src/gguf/quant.js";
import { readHeadMetadata } from "../src/prm/head-format.js";
import { writeHfCheckpoint, type HfCheckpoint, type HfCheckpointOptions } from "./helpers/hf-checkpoint.js";
import { hfForward, prmReward, softmax } from "./helpers/hf-forward.js";
import { headFirstLayer, loadGguf, nextTokenProbs, testLlama } from "./helpers/llama-eval.js";

/**
 * Converted GGUFs, run by node-llama-cpp, against a float64 forward pass of the ORIGINAL HF
 * weights (test/helpers/hf-forward.ts). f16 must agree to 1e-3; q8_0 and 4-bit deviations are
 * measured and printed as test diagnostics (they are what the README quotes).
 */
const tmp = mkdtempSync(join(tmpdir(), "prm-rel-fwd-"));
after(async () => (await testLlama()).dispose());

const STEPS = ["Step 1: Let x be the number of apples.", "Then 3x + 5 = 20, so x = 5.", "The total cost is 12 dollars.", "## Step 2: Multiply both sides", "The answer is \\boxed{42}."];
const PRM_TEXT = "<|im_start|>system\nPlease reason step by step.<|im_end|>\n<|im_start|>user\nHow many apples?<|im_end|>\n<|im_start|>assistant\n" +
  STEPS.join("<extra_0>") + "<extra_0><|im_end|>\n";
const LM_TEXT = "Step 1: We compute the sum. The answer is 42. Let x be the number of apples. Then 3x + 5 = 20, so x = 5.";

/** Max |Δ| of PRM step rewards and of the head's first layer W1·h, GGUF (node-llama-cpp) vs reference. */
async function prmDeviation(ck: HfCheckpoint, gguf: string) {
  const model = await loadGguf(gguf);
  try {
    const ids = [...model.tokenize(PRM_TEXT, true)];
    const steps = ids.flatMap((t, i) => (t === ck.ids["<extra_0>"] ? [i] : []));
    assert.equal(steps.length, STEPS.length);
    const H = ck.config.hidden_size;
    const head = readHeadMetadata(model.fileInfo.metadata)!;
    assert.ok(head, "prm_rel.head.* metadata present");
    const ref = hfForward(ck.config, ck.weights, ids);
    const w1h = await headFirstLayer(model, ids, steps, H);
    const W1 = ck.weights.get("score.0.weight")!.data;
    let dReward = 0, dW1h = 0;
    const rewards: number[] = [];
    for (const p of steps) {
      const z = w1h.get(p)!, h = ref.hidden[p];
      for (let r = 0; r < H; r++) {
        let s = 0;
        for (let c = 0; c < H; c++) s += W1[r * H + c] * h[c];
        dW1h = Math.max(dW1h, Math.abs(z[r] - s));
      }
      // The rest of the head from the GGUF's metadata (b1, W2, b2), as the scorer does.
      const a = z.map((v, r) => Math.max(0, v + head.b1[r]));
      const l = [0, 1].map((k) => a.reduce((s, v, c) => s + v * head.w2[k * H + c], head.b2[k]));
      const reward = 1 / (1 + Math.exp(l[0] - l[1]));
      rewards.push(reward);
      dReward = Math.max(dReward, Math.abs(reward - prmReward(ck.weights, h)));
    }
    return { dReward, dW1h, rewards };
  } finally {
    await model.dispose();
  }
}

/** Bounds for the quantized outputs: loose sanity limits (a wrong layout gives ~0.2 and more). */
const LIMIT: Record<OutType, number> = { f32: 1e-3, f16: 1e-3, q8_0: 0.02, q4_0: 0.15, q4_k_m: 0.15 };

/** Max |Δ| of full next-token distributions at several positions. */
async function lmDeviation(ck: HfCheckpoint, gguf: string) {
  const model = await loadGguf(gguf);
  try {
    const ids = [...model.tokenize(LM_TEXT, true)];
    const positions = [0, 7, Math.floor(ids.length / 2), ids.length - 1];
    const ref = hfForward(ck.config, ck.weights, ids, positions);
    const got = await nextTokenProbs(model, ids, positions);
    let dp = 0, minTop = 1;
    for (const p of positions) {
      const want = softmax(ref.logits.get(p)!), g = got.get(p)!;
      minTop = Math.min(minTop, Math.max(...want));
      assert.ok(g.size >= want.length - 1, "full distribution");
      for (let t = 0; t < want.length; t++) dp = Math.max(dp, Math.abs((g.get(t) ?? 0) - want[t]));
    }
    // A saturated distribution (p ≈ 1 everywhere) would hide errors: the test models must not be.
    assert.ok(minTop < 0.9, `reference distribution saturated (top p ${minTop})`);
    return dp;
  } finally {
    await model.dispose();
  }
}

async function convertAll(name: string, opts: HfCheckpointOptions, types: OutType[]) {
  const ck = writeHfCheckpoint(join(tmp, name), opts);
  const files = new Map<OutType, string>();
  for (const t of types) {
    const out = join(tmp, `${name}-${t}.gguf`);
    await convertCheckpoint({ input: ck.dir, outfile: out, outtype: t });
    files.set(t, out);
  }
  return { ck, files };
}

const ALL: OutType[] = ["f16", "q8_0", "q4_0", "q4_k_m"];

test("Qwen2.5-Math-PRM layout: step rewards from the converted GGUF match the reference (f16 ≤ 1e-3)", async (t) => {
  // 256 wide so the 4-bit body really uses Q4_K/Q6_K (narrower rows fall back to Q5_0/Q8_0).
  const { ck, files } = await convertAll("prm", { kind: "qwen2-prm", hidden: 256, ff: 256, heads: 4, kvHeads: 2, shards: 3 }, ALL);
  for (const [type, file] of files) {
    const d = await prmDeviation(ck, file);
    t.diagnostic(`PRM ${type}: max |Δ step reward| ${d.dReward.toExponential(2)}, max |Δ W1·h| ${d.dW1h.toExponential(2)}; rewards ${d.rewards.map((r) => r.toFixed(3)).join(" ")}`);
    if (type === "f16") {
      assert.ok(d.dReward <= 1e-3, `f16 reward deviation ${d.dReward}`);
      assert.ok(Math.max(...d.rewards) - Math.min(...d.rewards) > 0.02, "rewards vary between steps (the test can see errors)");
    } else assert.ok(d.dReward < LIMIT[type], `${type} reward deviation ${d.dReward}`);
  }
});

test("Qwen2 causal LM (f32 checkpoint, tied embeddings): next-token probabilities match (f16 ≤ 1e-3)", async (t) => {
  const { ck, files } = await convertAll("qwen2", { kind: "qwen2", dtype: "f32", tie: true, shards: 2, scale: 0.1 }, ALL);
  for (const [type, file] of files) {
    const dp = await lmDeviation(ck, file);
    t.diagnostic(`Qwen2 LM ${type}: max |Δ p(next token)| ${dp.toExponential(2)}`);
    assert.ok(dp <= LIMIT[type], `${type}: ${dp}`);
  }
});

test("Llama causal LM with Llama 3.1 rope scaling (q/k permuted, rope_freqs): probabilities match (f16 ≤ 1e-3)", async (t) => {
  // A short original context so the scaled frequencies matter within the test's ~80 tokens.
  const ropeScaling = { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 };
  const { ck, files } = await convertAll("llama", { kind: "llama", hidden: 256, ff: 256, heads: 8, kvHeads: 2, shards: 2, ropeScaling }, ALL);
  for (const [type, file] of files) {
    const dp = await lmDeviation(ck, file);
    t.diagnostic(`Llama LM ${type}: max |Δ p(next token)| ${dp.toExponential(2)}`);
    assert.ok(dp <= LIMIT[type], `${type}: ${dp}`);
  }
  // Without the rope_freqs factors the same GGUF would disagree with HF: the test sees rope scaling.
  const dpNoScaling = await lmDeviation({ ...ck, config: { ...ck.config, rope_scaling: undefined } }, files.get("f16")!);
  assert.ok(dpNoScaling > 1e-2, `reference without scaling differs by only ${dpNoScaling}`);
});

test("PRM head precision by output.weight type (why it stays ≥ Q8_0 in 4-bit files)", async (t) => {
  // The head's first layer alone: W1 encoded in each type, applied to the reference hidden states.
  const ck = writeHfCheckpoint(join(tmp, "head"), { kind: "qwen2-prm", hidden: 256, ff: 256, shards: 1 });
  const H = ck.config.hidden_size;
  const ids = Array.from({ length: 48 }, (_, i) => (i * 29) % 300);
  const hidden = hfForward(ck.config, ck.weights, ids).hidden.slice(8);
  const w1 = ck.weights.get("score.0.weight")!.data;
  const worst: Record<string, number> = {};
  for (const type of [GgmlType.F16, GgmlType.Q8_0, GgmlType.Q6_K, GgmlType.Q4_K]) {
    const q = dequantizeTensor(encodeTensor(w1, type), type, w1.length);
    const weights = new Map(ck.weights).set("score.0.weight", { shape: [H, H], data: q });
    worst[GgmlType[type]] = Math.max(...hidden.map((h) => Math.abs(prmReward(weights, h) - prmReward(ck.weights, h))));
  }
  t.diagnostic(`head-only max |Δ reward| by output.weight type: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ")}`);
  assert.ok(worst.F16 < 1e-3 && worst.Q8_0 < worst.Q6_K && worst.Q6_K < worst.Q4_K);
});
