import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama } from "node-llama-cpp";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { referenceForward, softmax } from "./reference/forward.js";

for (const arch of ["qwen2", "llama"] as const) {
  test(`reference forward pass matches llama.cpp's next-token softmax (${arch})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "prm-rel-ref-"));
    const path = join(dir, `tiny-${arch}.gguf`);
    const tiny = makeTinyModel({ arch, seed: 11, scale: 1 });
    await writeTinyModel(path, tiny);
    const llama = await getLlama({ gpu: false, maxThreads: 2 });
    const model = await llama.loadModel({ modelPath: path });
    const ids = model.tokenize("<|im_start|>user\nLet x be the number of apples. Then 3x + 5 = 20, so x = 5.<|im_end|>\n", true);
    const ctx = await model.createContext({ contextSize: 256, sequences: 1 });
    const seq = ctx.getSequence();
    const flagged = new Set([3, ids.length - 1]);
    const res = await seq.controlledEvaluate(ids.map((t, i) => (flagged.has(i) ? [t, { generateNext: { probabilities: true } }] : t)));
    const ref = referenceForward(tiny, [...ids]);
    let worst = 0;
    for (const pos of flagged) {
      const probs = res[pos]?.next?.probabilities;
      assert.ok(probs, `probabilities at ${pos}`);
      const want = softmax(ref.logits(pos));
      assert.equal(probs.size, want.length);
      for (const [token, p] of probs) worst = Math.max(worst, Math.abs(p - want[token]));
    }
    assert.ok(worst <= 1e-4, `max |p_llama − p_ref| = ${worst}`);
    await ctx.dispose();
    await model.dispose();
  });
}
