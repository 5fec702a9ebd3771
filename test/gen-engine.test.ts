import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { DEMO_DATA, DEMO_GENERATOR } from "../src/demo/paths.js";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { openGenContext } from "../src/gen/context.js";
import { runLockstep, type EngineOptions, type GenJob } from "../src/gen/engine.js";
import { GEN_DEFAULTS, defaultSystemPrompt, type GenOptions } from "../src/gen/options.js";
import { runGen } from "../src/gen/run.js";
import { GEN_ENGINES } from "../src/gen/step.js";
import { LockstepDecoder } from "../src/llama/lockstep-decoder.js";

// The direct engine (src/llama/lockstep-decoder.ts) against node-llama-cpp's controlledEvaluate path.

let dir: string;
let tinyPath: string;
let tinyData: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "prm-rel-engine-"));
  tinyPath = join(dir, "tiny.gguf");
  // scale 4: peaked enough that some samples stop on <|im_end|> before max_tokens.
  await writeTinyModel(tinyPath, makeTinyModel({ seed: 3, scale: 4 }));
  tinyData = join(dir, "probs.json");
  writeFileSync(tinyData, JSON.stringify([
    { problem_idx: 1, problem: "What is 2+3?", answer: 5 },
    { problem_idx: 2, problem: "Each box holds 6 eggs. How many eggs are in 4 boxes?", answer: 24 },
    { problem_idx: 3, problem: "Let x be 7. Find 2x.", answer: 14 },
  ]));
});

function genOptions(modelName: string, dataset: string, outputDir: string, extra: Partial<GenOptions>): GenOptions {
  return {
    ...GEN_DEFAULTS, modelName, dataset, numSamples: 3, N: 4, maxTokens: 40, outputDir: join(dir, outputDir),
    systemPrompt: defaultSystemPrompt(), device: "cpu", threads: 1, overwrite: false, resume: true, ...extra,
  };
}

/** A gen file without what may differ between runs of the same settings: timings and runtime. */
function comparable(path: string): string {
  const json = JSON.parse(readFileSync(path, "utf8"));
  delete json.metadata.timings;
  delete json.metadata.runtime;
  return JSON.stringify(json);
}

for (const [name, model, data] of [["demo generator", () => DEMO_GENERATOR, () => DEMO_DATA], ["tiny model", () => tinyPath, () => tinyData]] as const) {
  test(`${name}: direct and controlledEvaluate engines write byte-identical files at widths 1, 3 and 8`, async () => {
    const files: string[] = [];
    for (const width of [1, 3, 8]) {
      for (const engine of GEN_ENGINES) {
        const r = await runGen(genOptions(model(), data(), `${name}-${engine}-w${width}`, { batchWidth: width, engine }));
        files.push(comparable(r.path));
      }
    }
    for (const f of files) assert.equal(f, files[0]);
    assert.ok(JSON.parse(files[0]).results.every((p: any) => p.solutions.length === 4));
  });
}

/** runLockstep on three ChatML prompts (tiny or demo model): each sample's tokens, and the stats. */
async function lockstep(model: LlamaModel, width: number, extra: Partial<EngineOptions> = {}) {
  const jobs: GenJob[] = ["What is 2+3?", "Find 6 times 4.", "Let x be 7."].map((q, i) => ({
    position: i, index: 10 + i, prompt: model.tokenize(`<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n`, true) as Token[],
  }));
  const vocabSize = (model.fileInfo.metadata as any).tokenizer.ggml.tokens.length;
  const { context } = await openGenContext(model, { width, maxPrompt: Math.max(...jobs.map((j) => j.prompt.length)), maxTokens: 16 });
  const out: string[][] = [];
  try {
    const stats = await runLockstep(
      { model, context, width, vocabSize, samples: 4, maxTokens: 16, sampler: { temperature: 0.8, topP: 0.9 }, seed: 1, ...extra, onProblem: (job, s) => void (out[job.position] = s.map((x) => `${x.finish}:${x.tokens.join(",")}`)) },
      jobs,
    );
    return { out, stats };
  } finally {
    await context.dispose();
  }
}

test("a refilled slot keeps its problem's prompt prefill: same solutions, fewer decodes", async () => {
  const llama = await getLlama({ gpu: false, maxThreads: 1, logLevel: LlamaLogLevel.error });
  for (const path of [tinyPath, DEMO_GENERATOR]) {
    const model = await llama.loadModel({ modelPath: path });
    try {
      for (const width of [1, 3]) {
        const reused = await lockstep(model, width);
        const fresh = await lockstep(model, width, { reusePrompts: false });
        assert.deepEqual(reused.out, fresh.out, `${path} width ${width}`);
        assert.ok(reused.stats.decodes < fresh.stats.decodes, `${path} width ${width}: ${reused.stats.decodes} vs ${fresh.stats.decodes} decodes`);
      }
    } finally {
      await model.dispose();
    }
  }
});

test("the direct engine's redraws read the same batch row: any tail target gives the full-vocabulary solutions, with no extra decode", async () => {
  const llama = await getLlama({ gpu: false, maxThreads: 1, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: tinyPath });
  try {
    const full = await lockstep(model, 3, { fullVocabulary: true });
    // tailTarget 0.1 leaves most draws undecided: most go through the redraw path.
    const coarse = await lockstep(model, 3, { tailTarget: 0.1 });
    assert.ok(coarse.stats.fullRedraws > coarse.stats.draws / 2, `redraws: ${coarse.stats.fullRedraws}/${coarse.stats.draws}`);
    assert.deepEqual(coarse.out, full.out);
    assert.equal(coarse.stats.decodes, full.stats.decodes);
    assert.equal(full.stats.fullRedraws, 0);
  } finally {
    await model.dispose();
  }
});

test("the lock-step decoder refuses, with a clear error, when node-llama-cpp's private API it needs is gone", async () => {
  const llama = await getLlama({ gpu: false, maxThreads: 1, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: tinyPath });
  const context = await model.createContext({ contextSize: 64, sequences: 2 });
  try {
    const clear = /node-llama-cpp internals changed \(LlamaContext\._ctx\.decodeBatch is missing\).*3\.21\.1/;
    // A fake context: the real one's members, with the native decodeBatch deleted.
    const ctx = (context as any)._ctx;
    const fakeCtx = { initBatch: () => {}, addToBatch: () => {}, sampleToken: () => {}, setThreads: () => {} };
    const fake = Object.create(context, { _ctx: { value: fakeCtx } });
    assert.throws(() => new LockstepDecoder(fake), clear);
    assert.throws(() => new LockstepDecoder(Object.create(context, { _ctx: { value: undefined } })), /LlamaContext\._ctx is missing/);
    assert.throws(() => new LockstepDecoder(Object.create(context, { _reserveThreads: { value: undefined } })), /LlamaContext\._reserveThreads is missing/);
    // A sequence without its private token index is refused before anything is decoded.
    const decoder = new LockstepDecoder(context);
    try {
      const seq = context.getSequence();
      const bare = Object.create(seq, { _nextTokenIndex: { value: undefined } });
      await assert.rejects(decoder.step([{ seq: bare, token: 1 as Token }]), /LlamaContextSequence\._nextTokenIndex is missing/);
      assert.equal(seq.nextTokenIndex, 0);
      // The real one decodes, and its bookkeeping moves as node-llama-cpp's own would.
      const [pairs] = await decoder.step([{ seq, token: 1 as Token, options: { temperature: 1, topK: null, topP: 1, minP: 0, seed: 0 } }]);
      assert.equal(seq.nextTokenIndex, 1);
      assert.deepEqual(seq.contextTokens, [1]);
      assert.equal(pairs!.length, 2 * (model.fileInfo.metadata as any).tokenizer.ggml.tokens.length);
    } finally {
      decoder.dispose();
    }
    assert.equal(typeof ctx.decodeBatch, "function");
  } finally {
    await context.dispose();
    await model.dispose();
  }
});
