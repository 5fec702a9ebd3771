import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { LlamaContextSequence } from "node-llama-cpp";
import { GgmlType } from "../../src/gguf/constants.js";
import { runGen } from "../../src/gen/run.js";
import { GEN_ENGINES, type GenEngine } from "../../src/gen/step.js";
import { LockstepDecoder } from "../../src/llama/lockstep-decoder.js";
import { GEN_DEFAULTS, defaultSystemPrompt, type GenOptions } from "../../src/gen/options.js";
import { getRuntime, type Device } from "../../src/llama/runtime.js";
import { detectFamily } from "../../src/prm/family.js";
import { loadPrm, scorerFor } from "../../src/prm/load.js";
import { DEFAULT_THRESHOLDS, AGGREGATIONS } from "../../src/score/aggregate.js";
import { naiveItems, planSolution } from "../../src/score/plan.js";
import { runScore } from "../../src/score/run.js";
import { llamaTextTokenizer, truncate } from "../../src/score/truncate.js";
import { mulberry32 } from "../../src/util/random.js";
import { projectRoot } from "../../src/util/version.js";
import { genDecomp, scoreDecomp } from "./decomp.js";
import { BENCH_SHAPES, matmulParams, writeBenchModel } from "./models.js";
import { renderMarkdown } from "./report.js";
import { documentRewards, maxRewardDifference } from "./rewards.js";
import { sh } from "./sh.js";
import { synthGenFile } from "./synth.js";

/**
 * `npm run bench:gpu` — prm-rel's GPU benchmark (issue 7). On one machine, in one process tree:
 * 1. writes random-weight GGUFs of a real shape (generator: LM head scaled to realistic peakiness;
 *    PRM: the Qwen PRM head format) and a synthetic MathArena-sized gen file (30 × 64);
 * 2. starts the original method (HF transformers bf16, bench/gpu/hf_baseline.py) at once — it
 *    also measures the bf16 matmul rate and copy bandwidth — and waits for it before any
 *    llama.cpp work, so the two never share the GPU while timed;
 * 3. score: `runScore` (the real `prm-rel score` code) on the first P problems of the file,
 *    extrapolated to all of them; then a prefill/read-out decomposition;
 * 4. gen: `runGen` (the real `prm-rel gen` code) at N = 1, 16, 64 and several problems in flight,
 *    temperature 0.8, top_p 0.9; then a per-step decomposition (GPU batch vs per-sequence vs sampling);
 * 5. writes results.json and RESULTS-run.md to --out after every stage (a failure keeps the rest).
 * Stages are skipped, and said so, when the --budget (seconds) would be overrun.
 */
const { values: a } = parseArgs({
  options: {
    device: { type: "string", default: "cuda" },
    shape: { type: "string", default: "qwen2.5-7b" },
    type: { type: "string", default: "q4_0" },
    out: { type: "string", default: process.env.OUT ?? "bench-gpu-out" },
    work: { type: "string", default: "/tmp/prm-rel-bench" },
    budget: { type: "string", default: "540" },
    problems: { type: "string", default: "30" },
    samples: { type: "string", default: "64" },
    "score-problems": { type: "string", default: "6" },
    "score-parallel": { type: "string", default: "" },
    // CONTEXTSxSEQUENCES,… (e.g. 1x16,8x1,16x1): one score run per layout, the fastest reported as the
    // stage's result; each decodes on a libuv thread, so run with UV_THREADPOOL_SIZE ≥ the most contexts + 4.
    // CONTEXTSxSEQUENCES[+fa], comma-separated: each a full runScore ("+fa": flash attention on).
    "score-layouts": { type: "string", default: "" },
    // CPU threads per PRM context (default: node-llama-cpp splits --threads among the contexts).
    "score-context-threads": { type: "string", default: "" },
    "gen-tokens": { type: "string", default: "128" },
    // PROBLEMSxN[@WIDTH]: llama.cpp allows at most 256 sequences per context (LLAMA_MAX_SEQ) and the
    // gen engine adds one pad sequence, so 255 is the widest batch; without @ runGen picks its default.
    "gen-configs": { type: "string", default: "1x1,1x16,1x64,4x64@255,8x64" },
    // Step paths to time, side by side (src/gen/step.ts): direct (the default) and/or controlled.
    "gen-engine": { type: "string", default: "direct" },
    // Lock-step engines side by side (GenOptions.contexts), e.g. 1,2: each gen config once per value;
    // empty: runGen's default (2 on a GPU at width >= 64). Run with UV_THREADPOOL_SIZE >= 8 for 2.
    "gen-contexts": { type: "string", default: "" },
    "decomp-widths": { type: "string", default: "64,256" },
    "late-prompt": { type: "string", default: "1700" },
    "hf-seconds": { type: "string", default: "45" },
    "hf-sample": { type: "string", default: "400" },
    python: { type: "string", default: "python3" },
    skip: { type: "string", default: "" },
    threads: { type: "string", default: "" },
  },
});
const device = a.device as Device;
const T0 = performance.now();
const budget = Number(a.budget);
const elapsed = () => (performance.now() - T0) / 1000;
const left = () => budget - elapsed();
const skip = new Set(a.skip!.split(",").filter(Boolean));
const outDir = resolve(a.out!);
const work = resolve(a.work!);
mkdirSync(outDir, { recursive: true });
mkdirSync(work, { recursive: true });
const threads = a.threads ? Number(a.threads) : undefined;
const type = a.type === "f16" ? GgmlType.F16 : GgmlType.Q4_0;
const shape = BENCH_SHAPES[a.shape!];
const say = (...m: unknown[]) => console.error(`[bench ${elapsed().toFixed(0).padStart(4)}s]`, ...m);

export const results: any = {
  date: new Date().toISOString(),
  command: process.argv.slice(1).join(" "),
  host: { gpu: sh("nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader"), cpus: availableParallelism(), cpu: cpus()[0]?.model, uv_threadpool: process.env.UV_THREADPOOL_SIZE ?? "4 (default)" },
  settings: { ...a, shape_dims: shape, params: matmulParams(shape) },
  stages: {} as Record<string, any>,
  notes: [] as string[],
};
function save() {
  writeFileSync(join(outDir, "results.json"), JSON.stringify(results, null, 1));
  writeFileSync(join(outDir, "RESULTS-run.md"), renderMarkdown(results));
}
async function stage(name: string, minSeconds: number, fn: () => Promise<any>) {
  if (skip.has(name)) {
    results.stages[name] = { skipped: "--skip" };
    return;
  }
  if (left() < minSeconds) {
    results.stages[name] = { skipped: `budget: ${left().toFixed(0)} s left, stage needs ~${minSeconds} s` };
    say(`skip ${name}: ${results.stages[name].skipped}`);
    save();
    return;
  }
  const t = performance.now();
  say(`stage ${name}…`);
  try {
    results.stages[name] = { ...(await fn()), stage_s: (performance.now() - t) / 1000 };
  } catch (error) {
    results.stages[name] = { error: String((error as Error)?.stack ?? error).slice(0, 2000), stage_s: (performance.now() - t) / 1000 };
    say(`stage ${name} failed:`, error);
  }
  save();
}

// ---- 1. models and data; 2. the original method starts at once and waits for its sample ------
const typeName = type === GgmlType.F16 ? "f16" : "q4_0";
const prmPath = join(work, `prm-${a.shape}-${typeName}.gguf`);
const genPath = join(work, `gen-${a.shape}-${typeName}.gguf`);
const dataPath = join(work, "synthetic-matharena.json");
const samplePath = join(work, "naive-sample.json");
const problems = Number(a.problems);
const samples = Number(a.samples);
rmSync(samplePath, { force: true });

let hf: Promise<any> | undefined;
let hfChild: ReturnType<typeof spawn> | undefined;
if (!skip.has("hf")) {
  // HF imports, measures the ceilings and builds its model while the GGUFs are written; it times
  // nothing before the sample exists, and this process touches no GPU until it has exited.
  const hfOut = join(outDir, "hf.json");
  rmSync(hfOut, { force: true });
  const t = performance.now();
  hf = new Promise((res) => {
    const args = [join(projectRoot, "bench/gpu/hf_baseline.py"), "--sample", samplePath, "--out", hfOut, "--shape", a.shape!, "--device", device === "cpu" ? "cpu" : "cuda", "--time-budget", a["hf-seconds"]!];
    const child = spawn(a.python!, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
    hfChild = child;
    child.on("error", (e) => res({ error: String(e) }));
    child.on("exit", (code) => {
      const wall_s = (performance.now() - t) / 1000;
      if (code === 0 && existsSync(hfOut)) res({ ...JSON.parse(readFileSync(hfOut, "utf8")), wall_s });
      else res({ error: `hf_baseline.py exited with ${code}`, wall_s });
    });
  });
}

await stage("prm_model", 0, async () => (existsSync(prmPath) ? { reused: prmPath } : { path: prmPath, ...(await writeBenchModel(prmPath, { shape: a.shape!, type, role: "prm" })) }));
const synth = synthGenFile({ problems, samples, modelName: `bench/Qwen2.5-7B-shape-random (${typeName})` });
writeFileSync(dataPath, JSON.stringify(synth.file));
results.data = { problems, samples, total_tokens: synth.totalTokens, mean_tokens: synth.totalTokens / (problems * samples), at_cap: synth.file.results.flatMap((r) => r.solutions).filter((s) => s.finish_reason === "length").length / (problems * samples) };
say(`synthetic file: ${problems} x ${samples}, mean ${results.data.mean_tokens.toFixed(0)} tokens, ${(results.data.at_cap * 100).toFixed(0)}% at 2048`);

// The naive workload: a uniform random sample of every (solution, τ, aggregation) pass, each
// planned by prm-rel's own planner (naiveItems), for the HF baseline to time.
await stage("naive_workload", 0, async () => {
  // The same runtime as the rest (the GPU machine carries no CPU-only prebuilt); vocabulary only.
  const llama = await getRuntime({ device, threads });
  const model = await llama.loadModel({ modelPath: prmPath, vocabOnly: true });
  try {
    const scorer = scorerFor(model, prmPath, detectFamily({ metadata: model.fileInfo.metadata, path: prmPath }));
    const tok = llamaTextTokenizer(model);
    const rand = mulberry32(11);
    const perSolution = DEFAULT_THRESHOLDS.length * AGGREGATIONS.length;
    const count = problems * samples * perSolution;
    const picks = new Set<number>();
    while (picks.size < Math.min(Number(a["hf-sample"]), count)) picks.add(Math.floor(rand() * count));
    const bySolution = new Map<number, number[]>();
    for (const pick of picks) bySolution.set(Math.floor(pick / perSolution), [...(bySolution.get(Math.floor(pick / perSolution)) ?? []), pick % perSolution]);
    const sample: { len: number; pos: number[] }[] = [];
    const t = performance.now();
    for (const [solution, passes] of bySolution) {
      const r = synth.file.results[Math.floor(solution / samples)];
      const text = r.solutions[solution % samples].text;
      const cut = truncate(text, tok, DEFAULT_THRESHOLDS);
      const plan = planSolution(scorer, r.question, [...cut.texts, text], true);
      const items = naiveItems(plan, DEFAULT_THRESHOLDS.length, AGGREGATIONS);
      for (const k of passes) sample.push({ len: items[k].tokens.length, pos: items[k].rewardPositions });
    }
    // Shuffle so a time-capped HF run still times a uniform sample.
    for (let i = sample.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [sample[i], sample[j]] = [sample[j], sample[i]];
    }
    const stepTokenId = model.tokenize("<extra_0>", true)[0];
    writeFileSync(samplePath + ".tmp", JSON.stringify({ count, step_token_id: stepTokenId, sample }));
    renameSync(samplePath + ".tmp", samplePath);
    return { count, sampled: sample.length, sample_mean_tokens: sample.reduce((n, x) => n + x.len, 0) / sample.length, plan_s: (performance.now() - t) / 1000 };
  } finally {
    await model.dispose();
  }
});

if (!existsSync(samplePath) && hfChild) {
  say("no naive sample: stopping the HF baseline");
  hfChild.kill("SIGTERM");
}
await stage("gen_model", 0, async () => (existsSync(genPath) ? { reused: genPath } : { path: genPath, ...(await writeBenchModel(genPath, { shape: a.shape!, type, role: "gen", logitStd: 8 })) }));
if (hf) {
  say("waiting for the HF baseline…");
  results.stages.hf = await hf;
  save();
}

// ---- 3. score -------------------------------------------------------------------------------
const scoreProblems = Math.min(problems, Number(a["score-problems"]));
await stage("score", 60, async () => {
  const subset = { ...synth.file, results: synth.file.results.slice(0, scoreProblems) };
  const subsetPath = join(work, `synthetic-first${scoreProblems}.json`);
  writeFileSync(subsetPath, JSON.stringify(subset));
  const outputFile = join(work, "score-out.json");
  const layouts: (string | undefined)[] = a["score-layouts"] ? a["score-layouts"].split(",").filter(Boolean) : [undefined];
  const runs: any[] = [];
  let firstRewards: number[] | undefined;
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  if (layouts.some((l) => l && parseInt(l, 10) + 2 > pool)) say(`warning: UV_THREADPOOL_SIZE ${pool}: contexts beyond ~${pool - 2} wait for a libuv thread to decode or sample`);
  for (const layout of layouts) {
    if (runs.length && left() < 60) {
      runs.push({ layout, skipped: `budget: ${left().toFixed(0)} s left` });
      continue;
    }
    rmSync(outputFile, { force: true });
    const t = performance.now();
    let run;
    try {
      run = await runScore({
        dataFiles: [subsetPath], prmModel: prmPath, thresholds: [...DEFAULT_THRESHOLDS], aggregations: [...AGGREGATIONS],
        outputFile, noQuantization: type === GgmlType.F16, device, threads, overwrite: true,
        parallel: a["score-parallel"] ? Number(a["score-parallel"]) : undefined,
        // "16x1+fa": the same layout with flash attention on.
        layout: layout?.replace(/\+fa$/, ""), flashAttention: layout === undefined ? undefined : layout.endsWith("+fa"),
        contextThreads: a["score-context-threads"] ? Number(a["score-context-threads"]) : undefined,
      });
    } catch (error) {
      // One layout failing (e.g. out of memory) keeps the others' results.
      runs.push({ layout, error: String((error as Error)?.stack ?? error).slice(0, 1000) });
      say(`score layout ${layout} failed:`, error);
      continue;
    }
    const wall = (performance.now() - t) / 1000;
    const m = run.document.metadata as any;
    const scale = problems / scoreProblems;
    const scoreS = m.timings.score_s;
    // Every reward of this run against the first layout's: how far flash attention or another
    // layout moves them (same model, same file).
    const rewards = documentRewards(run.document);
    firstRewards ??= rewards;
    const rewardDiff = maxRewardDifference(rewards, firstRewards);
    runs.push({
      layout: m.prm.layout + (m.prm.flash_attention ? "+fa" : ""), flash_attention: m.prm.flash_attention, max_reward_diff_vs_first: rewardDiff, problems_scored: scoreProblems, solutions: scoreProblems * samples, wall_s: wall, load_s: m.timings.load_s, score_s: scoreS,
      sequences: m.prm.sequences, contexts: m.prm.contexts, sequences_per_context: m.prm.sequences_per_context, batch_size: m.prm.batch_size, context_size: m.prm.context_size, gpu: m.prm.gpu,
      tokens: m.tokens, prm_tokens_per_s: m.tokens.evaluated / scoreS,
      extrapolated_full_file: { factor: scale, score_s: scoreS * scale, wall_s: m.timings.load_s + scoreS * scale, tokens_evaluated: m.tokens.evaluated * scale, naive_tokens: m.tokens.naive * scale },
    });
    say("score", JSON.stringify({ layout: m.prm.layout, score_s: scoreS, prm_tokens_per_s: Math.round(m.tokens.evaluated / scoreS) }));
  }
  const done = runs.filter((r) => r.score_s !== undefined);
  if (!done.length) throw new Error(`every score layout failed: ${JSON.stringify(runs).slice(0, 1500)}`);
  const best = done.reduce((x, y) => (y.score_s < x.score_s ? y : x));
  return { ...best, layouts: runs };
});

await stage("score_decomp", 25, async () => {
  const llama = await getRuntime({ device, threads });
  const prm = await loadPrm(llama, prmPath);
  try {
    const out: any[] = [];
    const cfgs = device === "cpu"
      ? [{ sequences: 2, length: 256, positions: 8, batchSize: 512 }]
      : [{ sequences: 16, length: 2048, positions: 24, batchSize: 2048 }, { sequences: 16, length: 2048, positions: 24, batchSize: 8192 }];
    for (const cfg of cfgs) {
      if (left() < 15) break;
      out.push(await scoreDecomp(prm.model, prm.scorer, cfg));
      say("score decomposition", JSON.stringify(out.at(-1)));
    }
    return { runs: out };
  } finally {
    await prm.model.dispose();
  }
});

// ---- 4. gen ---------------------------------------------------------------------------------
const genData = join(work, "gen-problems.json");
writeFileSync(genData, JSON.stringify(synth.file.results.slice(0, 16).map((r) => ({ problem: r.question, answer: r.gold_answer }))));
const genTokens = Number(a["gen-tokens"]);
// The byte vocabulary spends one token per character; Qwen's spends ~4. The real system prompt
// (577 characters, ~130 Qwen tokens) is cut to 140 characters so prompts have about the real token count.
const genSystemPrompt = defaultSystemPrompt().slice(0, 140);
// Bench-only probe: when the first decode that asks for a distribution starts (all prompts of
// these configurations are prefilled before it), so decode speed is told apart from prefill.
const probe = { first: 0, last: 0 };
const originalEvaluate = LlamaContextSequence.prototype.controlledEvaluate;
LlamaContextSequence.prototype.controlledEvaluate = function (this: LlamaContextSequence, input: any, options?: any) {
  if (!probe.first && Array.isArray(input) && input.some((i: any) => Array.isArray(i) && i[1]?.generateNext?.probabilities)) probe.first = performance.now();
  return originalEvaluate.call(this, input, options);
} as any;
const originalStepWith = LockstepDecoder.prototype.stepWith;
LockstepDecoder.prototype.stepWith = function (this: LockstepDecoder, rows, reduce) {
  if (!probe.first) probe.first = performance.now();
  return originalStepWith.call(this, rows, reduce);
} as typeof originalStepWith;
const genEngines = a["gen-engine"]!.split(",").filter(Boolean) as GenEngine[];
for (const e of genEngines) if (!GEN_ENGINES.includes(e)) throw new Error(`--gen-engine: ${e} is not one of ${GEN_ENGINES.join(", ")}`);
const genContexts: (number | undefined)[] = a["gen-contexts"] ? a["gen-contexts"].split(",").filter(Boolean).map(Number) : [undefined];
for (const c of genContexts) if (c !== undefined && !(Number.isInteger(c) && c >= 1)) throw new Error(`--gen-contexts: ${c} is not an integer >= 1`);
const genVariants = genEngines.flatMap((engine) => genContexts.map((contexts) => ({ engine, contexts, label: contexts === undefined ? engine : `${engine}-c${contexts}` })));
const genRuns: any[] = [];
results.stages.gen = { runs: genRuns, max_tokens: genTokens };
for (const cfg of a["gen-configs"]!.split(",").filter(Boolean)) {
  const [shapePart, widthPart] = cfg.split("@");
  const [p, n] = shapePart.split("x").map(Number);
  const batchWidth = widthPart ? Number(widthPart) : undefined;
  const need = (15 + (p * n * genTokens) / (n >= 64 ? 1500 : n >= 16 ? 300 : 40)) * genVariants.length;
  if (skip.has("gen") || left() < need) {
    genRuns.push({ config: cfg, skipped: skip.has("gen") ? "--skip" : `budget: ${left().toFixed(0)} s left, ~${need.toFixed(0)} s needed` });
    continue;
  }
  const outputs = new Map<string, string>();
  for (const { engine, contexts, label } of genVariants) {
    say(`gen ${p} problem(s) x N=${n}, ${genTokens} tokens each, ${engine} engine${contexts === undefined ? "" : `, ${contexts} context(s)`}…`);
    const outputDir = join(work, `gen-${cfg}-${label}`);
    rmSync(outputDir, { recursive: true, force: true });
    const t = performance.now();
    try {
      const o: GenOptions = {
        ...GEN_DEFAULTS, modelName: genPath, dataset: genData, numSamples: p, N: n, maxTokens: genTokens, temperature: 0.8, topP: 0.9,
        outputDir, device, threads, overwrite: true, resume: false, systemPrompt: genSystemPrompt, quantization: null, batchWidth, engine, contexts,
      };
      probe.first = 0;
      const r = await runGen(o, { onProblemSaved: () => (probe.last = performance.now()) });
      const doc = JSON.parse(readFileSync(r.path, "utf8"));
      const session = doc.metadata.timings.sessions.at(-1);
      const lengths = doc.results.flatMap((x: any) => x.solutions.map((s: any) => s.num_tokens));
      outputs.set(label, JSON.stringify(doc.results));
      genRuns.push({
        config: cfg, engine, contexts_requested: contexts ?? null, contexts: doc.metadata.runtime.contexts, problems: p, N: n, wall_s: (performance.now() - t) / 1000, ...session,
        stopped_early: lengths.filter((l: number) => l < genTokens).length,
        tokens_per_s: session.generated_tokens / session.seconds,
        // From the first decode step to the last problem saved: generation without the prompts' prefill.
        decode_s: (probe.last - probe.first) / 1000,
        decode_tokens_per_s: session.generated_tokens / ((probe.last - probe.first) / 1000),
        prefill_s: session.seconds - (probe.last - probe.first) / 1000,
        redraw_rate: session.draws ? session.full_vocabulary_redraws / session.draws : 0,
        // Every engine and context count decodes the same shapes per sequence: their solutions must be
        // byte-identical (on CUDA only within one matmul-kernel class of widths, see engine.ts).
        same_solutions_as_first_engine: outputs.get(genVariants[0].label) === outputs.get(label),
      });
      say(`gen ${cfg} (${label}): ${(session.generated_tokens / session.seconds).toFixed(0)} tok/s overall, ${genRuns.at(-1).decode_tokens_per_s.toFixed(0)} tok/s decoding (width ${session.batch_width} x ${doc.metadata.runtime.contexts} context(s), ${session.full_vocabulary_redraws}/${session.draws} full redraws)`);
    } catch (error) {
      genRuns.push({ config: cfg, engine, contexts_requested: contexts ?? null, error: String((error as Error)?.stack ?? error).slice(0, 1500) });
      say(`gen ${cfg} (${label}) failed:`, error);
    }
    save();
  }
}

await stage("gen_decomp", 30, async () => {
  const llama = await getRuntime({ device, threads });
  const model = await llama.loadModel({ modelPath: genPath });
  try {
    const vocabSize = shape.nVocab;
    const runs: any[] = [];
    const widths = a["decomp-widths"]!.split(",").filter(Boolean).map(Number);
    for (const W of widths) {
      if (left() < 20) break;
      try {
        runs.push(await genDecomp(model, { width: W, promptTokens: 300, steps: 8, vocabSize }));
      } catch (error) {
        runs.push({ width: W, promptTokens: 300, error: String((error as Error)?.message ?? error) });
      }
      say("gen decomposition", JSON.stringify(runs.at(-1)));
      save();
    }
    const late = Number(a["late-prompt"]);
    if (late > 0 && left() > 30) {
      runs.push(await genDecomp(model, { width: widths[0], promptTokens: late, steps: 8, vocabSize, modes: ["seqs_1out", "seqs_minp"] }));
      say("gen decomposition (late context)", JSON.stringify(runs.at(-1)));
    }
    return { runs };
  } finally {
    await model.dispose();
  }
});

results.total_s = elapsed();
save();
say(`done in ${elapsed().toFixed(0)} s; results in ${outDir}`);
console.log(readFileSync(join(outDir, "RESULTS-run.md"), "utf8"));
process.exit(0);
