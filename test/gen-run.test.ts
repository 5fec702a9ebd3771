import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { InterruptedError, UserError } from "../src/errors.js";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { openGenContext } from "../src/gen/context.js";
import { runLockstep, type GenJob } from "../src/gen/engine.js";
import { GEN_DEFAULTS, defaultSystemPrompt, type GenOptions } from "../src/gen/options.js";
import { runGen } from "../src/gen/run.js";
import { GenFile } from "../src/gen/schema.js";

// Problems as MathArena stores them: problem_idx, problem, answer (an int in some sets, a string in others).
const PROBLEMS = [
  { problem_idx: 11, problem: "What is 2+3?", answer: 5 },
  { problem_idx: 12, problem: "Let x be the number of apples. Then 3x + 5 = 20. Find x.", answer: "5" },
  { problem_idx: 13, problem: "Each box holds 6 eggs. How many eggs are in 4 boxes?", answer: 24 },
];

let dir: string;
let modelPath: string;
let dataPath: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "prm-rel-gen-"));
  modelPath = join(dir, "tiny.gguf");
  // scale 4: peaked enough that some samples stop on <|im_end|> before max_tokens.
  await writeTinyModel(modelPath, makeTinyModel({ seed: 3, scale: 4 }));
  dataPath = join(dir, "probs.json");
  writeFileSync(dataPath, JSON.stringify(PROBLEMS));
});

function options(outputDir: string, extra: Partial<GenOptions> = {}): GenOptions {
  return {
    ...GEN_DEFAULTS, modelName: modelPath, dataset: dataPath, N: 4, maxTokens: 24, outputDir: join(dir, outputDir),
    systemPrompt: defaultSystemPrompt(), device: "cpu", threads: 1, overwrite: false, resume: true, ...extra,
  };
}

/** The file minus what may legitimately differ between runs: timings, and (optionally) the runtime. */
function comparable(path: string, dropRuntime = false): string {
  const json = JSON.parse(readFileSync(path, "utf8"));
  delete json.metadata.timings;
  if (dropRuntime) delete json.metadata.runtime;
  return JSON.stringify(json);
}

test("batch width 1, 3 and 8 give byte-identical solutions", async () => {
  const a = await runGen(options("w1", { batchWidth: 1 }));
  const b = await runGen(options("w8", { batchWidth: 8 }));
  const c = await runGen(options("w3", { batchWidth: 3 }));
  assert.equal(comparable(a.path, true), comparable(b.path, true));
  assert.equal(comparable(a.path, true), comparable(c.path, true));
  assert.equal(readFileSync(a.path, "utf8").includes('"batch_width": 1'), true);
});

test("1 and 2 threads give byte-identical solutions", async () => {
  const small = { N: 2, maxTokens: 8, numSamples: 2 };
  const a = await runGen(options("t1", { ...small, threads: 1 }));
  const b = await runGen(options("t2", { ...small, threads: 2 }));
  assert.equal(comparable(a.path, true), comparable(b.path, true));
});

test("the output has the seed's fields, values as given, and no token", async () => {
  process.env.HF_TOKEN = "hf_secret_never_written";
  const r = await runGen(options("schema"));
  delete process.env.HF_TOKEN;
  const text = readFileSync(r.path, "utf8");
  assert.ok(!text.includes("hf_secret_never_written"));
  assert.ok(r.path.endsWith("probs_tiny_N4.json"));
  const file = JSON.parse(text);
  v.parse(GenFile, file);
  const m = file.metadata;
  assert.equal(m.model_name, modelPath);
  assert.equal(m.dataset, dataPath);
  assert.equal(m.N, 4);
  assert.deepEqual([m.temperature, m.top_p, m.max_tokens, m.seed, m.split, m.dtype], [0.8, 0.9, 24, 0, "train", "float16"]);
  assert.equal(m.system_prompt, defaultSystemPrompt());
  assert.equal(m.complete, true);
  assert.match(m.fingerprint, /^[0-9a-f]{64}$/);
  assert.match(m.model.sha256, /^[0-9a-f]{64}$/);
  assert.equal(m.model.size_bytes, readFileSync(modelPath).length);
  assert.deepEqual(m.selection.indices, [11, 12, 13]);
  assert.equal(m.tool.node_llama_cpp, "3.21.1");
  assert.ok(Array.isArray(m.timings.sessions) && m.timings.sessions[0].generated_tokens > 0);
  assert.deepEqual(file.results.map((p: any) => p.index), [11, 12, 13]);
  for (const [i, p] of file.results.entries()) {
    assert.deepEqual(Object.keys(p), ["index", "question", "gold_answer", "solutions"]);
    assert.equal(p.question, PROBLEMS[i].problem);
    assert.equal(p.gold_answer, PROBLEMS[i].answer); // 5 stays a number, "5" a string
    assert.equal(p.solutions.length, 4);
    for (const s of p.solutions) {
      assert.deepEqual(Object.keys(s), ["text", "num_tokens", "finish_reason"]);
      assert.equal(typeof s.text, "string");
      // "length" exactly at max_tokens; "stop" (EOG, not counted) before it.
      assert.ok(s.finish_reason === "length" ? s.num_tokens === 24 : s.num_tokens < 24);
    }
  }
  const reasons = new Set(file.results.flatMap((p: any) => p.solutions.map((s: any) => s.finish_reason)));
  assert.deepEqual([...reasons].sort(), ["length", "stop"]);
});

test("an interrupted run, rerun with the same arguments, ends with the uninterrupted file", async () => {
  const whole = await runGen(options("whole", { batchWidth: 8 }));
  const ctrl = new AbortController();
  const path = join(dir, "cut", "probs_tiny_N4.json");
  await assert.rejects(
    runGen(options("cut", { batchWidth: 8 }), { signal: ctrl.signal, onProblemSaved: () => ctrl.abort() }),
    (e) => e instanceof InterruptedError && /[12]\/3 problems are saved/.test(e.message),
  );
  // Two problems may finish in the same decode as the first: both are saved before stopping.
  const partial = JSON.parse(readFileSync(path, "utf8"));
  assert.ok(partial.results.length >= 1 && partial.results.length < 3);
  assert.equal(partial.metadata.complete, false);
  const resumed = await runGen(options("cut", { batchWidth: 8 }));
  assert.equal(resumed.generated, 3 - partial.results.length);
  const sessions = JSON.parse(readFileSync(path, "utf8")).metadata.timings.sessions;
  assert.equal(sessions.length, 2);
  assert.equal(comparable(resumed.path), comparable(whole.path));
  // A complete file is left alone.
  assert.equal((await runGen(options("cut", { batchWidth: 8 }))).generated, 0);
});

test("an existing output made with other settings is kept unless --overwrite", async () => {
  const first = await runGen(options("other"));
  const before = readFileSync(first.path, "utf8");
  await assert.rejects(runGen(options("other", { temperature: 0.5 })), (e) => e instanceof UserError && /other settings/.test(e.message));
  assert.equal(readFileSync(first.path, "utf8"), before);
  await runGen(options("other", { temperature: 0.5, overwrite: true }));
  assert.equal(JSON.parse(readFileSync(first.path, "utf8")).metadata.temperature, 0.5);
  await assert.rejects(runGen(options("other", { temperature: 0.5, resume: false })), /exists/);
  // Something that is not a gen output is never replaced without --overwrite either.
  writeFileSync(first.path, "{ not json");
  await assert.rejects(runGen(options("other")), (e) => e instanceof UserError && /not valid JSON/.test(e.message));
  assert.equal(readFileSync(first.path, "utf8"), "{ not json");
  await runGen(options("other", { overwrite: true }));
  assert.equal(JSON.parse(readFileSync(first.path, "utf8")).metadata.complete, true);
});

test("full-vocabulary redraws (forced by a coarse tail bound) stay exact and width-independent", async () => {
  const llama = await getLlama({ gpu: false, maxThreads: 1, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const vocabSize = (model.fileInfo.metadata as any).tokenizer.ggml.tokens.length;
  const jobs: GenJob[] = PROBLEMS.map((p, i) => ({ position: i, index: p.problem_idx, prompt: model.tokenize(`<|im_start|>user\n${p.problem}<|im_end|>\n<|im_start|>assistant\n`, true) }));
  const generate = async (width: number, extra: { fullVocabulary?: boolean; tailTarget?: number }) => {
    const { context } = await openGenContext(model, { width, maxPrompt: Math.max(...jobs.map((j) => j.prompt.length)), maxTokens: 16 });
    const out: number[][][] = [];
    const stats = await runLockstep(
      { model, context, width, vocabSize, samples: 4, maxTokens: 16, sampler: { temperature: 0.8, topP: 0.9 }, seed: 1, ...extra, onProblem: (job, s) => void (out[job.position] = s.map((x) => x.tokens)) },
      jobs,
    );
    await context.dispose();
    return { out, stats };
  };
  const full = await generate(8, { fullVocabulary: true });
  // tailTarget 0.1 (vs 1e-7) leaves most draws undecided: ~90% go through the redraw path.
  const coarse8 = await generate(8, { tailTarget: 0.1 });
  const coarse1 = await generate(1, { tailTarget: 0.1 });
  assert.ok(coarse8.stats.fullRedraws > coarse8.stats.draws / 2, `redraws: ${coarse8.stats.fullRedraws}`);
  assert.ok(coarse8.stats.fullRedraws < coarse8.stats.draws);
  assert.deepEqual(coarse8.out, full.out);
  assert.deepEqual(coarse1.out, full.out);
  await model.dispose();
});
