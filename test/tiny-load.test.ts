import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama } from "node-llama-cpp";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";

test("a tiny qwen2 GGUF written by the project loads and runs in node-llama-cpp", async () => {
  const dir = mkdtempSync(join(tmpdir(), "prm-rel-"));
  const path = join(dir, "tiny.gguf");
  const tiny = makeTinyModel({ seed: 3 });
  await writeTinyModel(path, tiny);
  const llama = await getLlama({ gpu: false, maxThreads: 2 });
  const model = await llama.loadModel({ modelPath: path });
  const ids = model.tokenize("<|im_start|>user\nThe answer is 42<|im_end|>", true);
  assert.equal(ids[0], tiny.specialIds["<|im_start|>"]);
  assert.equal(model.detokenize(ids, true), "<|im_start|>user\nThe answer is 42<|im_end|>");
  const ctx = await model.createContext({ contextSize: 256, sequences: 1 });
  const seq = ctx.getSequence();
  const res = await seq.controlledEvaluate([...ids.slice(0, -1), [ids.at(-1)!, { generateNext: { probabilities: true } }]]);
  const probs = res.at(-1)?.next?.probabilities;
  assert.ok(probs && probs.size > 0);
  let sum = 0;
  for (const p of probs.values()) sum += p;
  assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
  await ctx.dispose();
  await model.dispose();
});
