/**
 * PRM tokens evaluated per solution, and wall time: the scoring engine (one pass per solution
 * serving every τ × aggregation, shared prefixes reused, several solutions in flight) against the
 * naive method (the released script's: one fresh pass per τ × aggregation), on the same tiny PRM,
 * in one run. Also checks both against the independent reference forward pass.
 *
 *   node dist/bench/score-passes.js [--device cpu|cuda] [--solutions 16] [--family qwen-prm-head|plus-minus]
 *        [--flash_attention on|off] [--parallel 8] [--threads N]
 *        [--type f32|f16]   (tiny-model weights; f16 is what real GGUFs hold)
 *   node dist/bench/score-passes.js --mode readout --device cuda [--layers 2]
 *        per-position cost of the read-outs on the real Qwen2.5-7B shape (vocab 152064, H 3584)
 *   node dist/bench/score-passes.js --mode fixture --out DIR        tiny PRM + generator + data file
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TokenBias, type LlamaModel, type Token } from "node-llama-cpp";
import { GgmlType } from "../src/gguf/constants.js";
import { fromHalf, toHalf } from "../src/gguf/quant.js";
import { makeTinyModel, writeTinyModel } from "../src/gguf/tiny.js";
import { getRuntime, type Device } from "../src/llama/runtime.js";
import { headRewardFromFirstLayer } from "../src/prm/head-math.js";
import { loadPrm } from "../src/prm/load.js";
import { makeTinyPlusMinusPrm, makeTinyQwenPrm } from "../src/prm/tiny.js";
import { AGGREGATIONS, DEFAULT_THRESHOLDS } from "../src/score/aggregate.js";
import { runEngine, type JobResult } from "../src/score/engine.js";
import { naiveItems, planSolution } from "../src/score/plan.js";
import { llamaTextTokenizer, truncate } from "../src/score/truncate.js";
import { mulberry32 } from "../src/util/random.js";
import { matVec, referenceForward } from "../test/reference/forward.js";
import { BENCH_SHAPES, writeBenchModel } from "./gpu/models.js";

const { values: a } = parseArgs({
  options: {
    mode: { type: "string", default: "passes" },
    device: { type: "string", default: "cpu" },
    threads: { type: "string" },
    solutions: { type: "string", default: "16" },
    family: { type: "string", default: "qwen-prm-head" },
    flash_attention: { type: "string", default: "off" },
    parallel: { type: "string" },
    layers: { type: "string", default: "2" },
    type: { type: "string", default: "f32" },
    out: { type: "string" },
  },
});
const dir = mkdtempSync(join(tmpdir(), "prm-rel-bench-"));
const llama = await getRuntime({ device: a.device as Device, threads: a.threads ? Number(a.threads) : undefined });
const gpu = llama.gpu !== false;
const ms = (t: number) => `${t.toFixed(0)} ms`;

const SENTENCES = [
  "Let x be the number of apples.", "Then 3x + 5 = 20, so x = 5.", "Each box holds 6 eggs, so there are 4 boxes in total.",
  "The total cost is 12 dollars.", "We compute the sum of the first n terms.", "Multiply both sides by 2 to clear the fraction.",
  "Therefore the remainder is 7 modulo 9.", "Substituting back gives y = 14.", "By symmetry the two cases contribute equally.",
];

async function setup() {
  const family = a.family === "plus-minus" ? "plus-minus" : "qwen-prm-head";
  const type = a.type === "f16" ? GgmlType.F16 : GgmlType.F32;
  const qwen = family === "qwen-prm-head" ? makeTinyQwenPrm({ seed: 5, type }) : undefined;
  const tiny = qwen?.model ?? makeTinyPlusMinusPrm({ seed: 9, type });
  // The reference reads the weights the GGUF really holds: F16 matrices rounded as written.
  if (type === GgmlType.F16) for (const w of tiny.weights.values()) if (w.shape.length === 2) w.data = w.data.map((x) => fromHalf(toHalf(x)));
  if (qwen) qwen.head.w1 = tiny.weights.get("output.weight")!.data.slice(0, 64 * 64);
  await writeTinyModel(join(dir, "prm.gguf"), tiny);
  await writeTinyModel(join(dir, "gen.gguf"), makeTinyModel({ seed: 2 }));
  const prm = await loadPrm(llama, join(dir, "prm.gguf"));
  const gen = await llama.loadModel({ modelPath: join(dir, "gen.gguf"), vocabOnly: true });
  const tok = llamaTextTokenizer(gen);
  const rand = mulberry32(7);
  const texts = Array.from({ length: Number(a.solutions) }, () => {
    const target = 300 + Math.floor(rand() * 1900);
    const steps: string[] = [];
    while (tok.tokenize(steps.join("\n\n")).length < target) {
      steps.push(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => SENTENCES[Math.floor(rand() * SENTENCES.length)]).join(" "));
    }
    return steps.join("\n\n");
  });
  const thresholds = [...DEFAULT_THRESHOLDS];
  const plans = texts.map((t) => planSolution(prm.scorer, "Find the number of boxes.", [...truncate(t, tok, thresholds).texts, t], true));
  const contextSize = Math.max(...plans.flatMap((p) => p.items.map((i) => i.tokens.length))) + 1;
  const sequences = a.parallel ? Number(a.parallel) : gpu ? 8 : 2;
  const flashAttention = a.flash_attention === "on";
  /** The reference's rewards of an item. */
  const reference = (item: { tokens: number[]; rewardPositions: number[] }) => {
    const ref = referenceForward(tiny, item.tokens);
    return item.rewardPositions.map((p) => {
      if (qwen) return headRewardFromFirstLayer(matVec(qwen.head.w1, ref.hidden[p], 64, 64), qwen.head);
      const l = ref.logits(p);
      return 1 / (1 + Math.exp(l[tiny.tokens.indexOf("-")] - l[tiny.tokens.indexOf("+")]));
    });
  };
  return { family, prm, gen, plans, thresholds, contextSize, sequences, flashAttention, reference };
}

async function passes(): Promise<void> {
  const { family, prm, gen, plans, thresholds, contextSize, sequences, flashAttention, reference } = await setup();
  const run = async (reuse: boolean) => {
    const context = await prm.model.createContext({ contextSize, sequences, batchSize: Math.min(contextSize * sequences, gpu ? 2048 : 512), flashAttention });
    const out = new Map<number, JobResult>();
    const t0 = performance.now();
    const jobs = plans.map((p, key) => ({ key, items: reuse ? p.items : naiveItems(p, thresholds.length, AGGREGATIONS) }));
    await runEngine(jobs, { scorer: prm.scorer, contexts: [context], reuse, onJobDone: (job, r) => out.set(job.key, r) });
    const time = performance.now() - t0;
    await context.dispose();
    return { out, time, tokens: [...out.values()].reduce((n, r) => n + r.tokensEvaluated, 0) };
  };
  const engine = await run(true);
  const naive = await run(false);
  // Every distinct item once more, alone, on a fresh single sequence: what each method should give.
  const { SequenceWorker } = await import("../src/score/engine.js");
  const single = await prm.model.createContext({ contextSize, sequences: 1, flashAttention });
  const fresh = new SequenceWorker(single.getSequence(), prm.scorer, false);
  const worst = { engine: { d: 0, at: "" }, naive: { d: 0, at: "" } };
  for (const [k, plan] of plans.entries()) {
    const eng = engine.out.get(k)!.rewards;
    const nv = naive.out.get(k)!.rewards;
    const naiveIdx = naiveItems(plan, thresholds.length, AGGREGATIONS).map((it) => plan.items.indexOf(it));
    for (const [i, item] of plan.items.entries()) {
      const f = await fresh.evaluate(item, { value: 0 }, { tokensEvaluated: 0, escalations: 0 });
      const note = (which: "engine" | "naive", got: number[]) =>
        got.forEach((g, j) => {
          const d = Math.abs(g - f[j]);
          if (d > worst[which].d) worst[which] = { d, at: `solution ${k} item ${i} step ${j}/${got.length}: ${g.toFixed(5)} vs ${f[j].toFixed(5)}` };
        });
      note("engine", eng[i]);
      naiveIdx.forEach((ni, slot) => ni === i && note("naive", nv[slot]));
    }
  }
  await single.dispose();
  // The engine against the independent reference, on the full step item of the first two solutions.
  let refErr = 0;
  for (let k = 0; k < Math.min(2, plans.length); k++) {
    const si = plans[k].stepItem[thresholds.length];
    const want = reference(plans[k].items[si]);
    want.forEach((w, j) => (refErr = Math.max(refErr, Math.abs(engine.out.get(k)!.rewards[si][j] - w))));
  }
  const n = plans.length;
  console.log(`device ${llama.gpu || "cpu"}, family ${family}, ${n} solutions, ${thresholds.length} τ × ${AGGREGATIONS.length} aggregations, ${sequences} sequences, flash attention ${flashAttention}`);
  console.log(`engine: ${(engine.tokens / n).toFixed(0)} PRM tokens/solution, ${ms(engine.time)} (${(engine.tokens / engine.time * 1000).toFixed(0)} tok/s)`);
  console.log(`naive:  ${(naive.tokens / n).toFixed(0)} PRM tokens/solution, ${ms(naive.time)} (${(naive.tokens / naive.time * 1000).toFixed(0)} tok/s)`);
  console.log(`ratio:  ${(naive.tokens / engine.tokens).toFixed(2)}× fewer tokens, ${(naive.time / engine.time).toFixed(2)}× faster`);
  console.log(`max |step reward − fresh single-sequence pass|: engine ${worst.engine.d.toExponential(2)} (${worst.engine.at}), naive ${worst.naive.d.toExponential(2)} (${worst.naive.at})`);
  console.log(`max |engine − reference| step reward ${refErr.toExponential(2)}`);
  await gen.dispose();
  await prm.model.dispose();
}

/** Per-position cost of the read-outs at the real vocabulary and hidden size. */
async function readout(): Promise<void> {
  const layers = Number(a.layers);
  BENCH_SHAPES[`qwen2.5-7b-${layers}l`] = { ...BENCH_SHAPES["qwen2.5-7b"], nLayer: layers };
  const path = join(dir, "shape.gguf");
  await writeBenchModel(path, { shape: `qwen2.5-7b-${layers}l`, type: GgmlType.F16, role: "gen" });
  const model: LlamaModel = await llama.loadModel({ modelPath: path });
  const H = BENCH_SHAPES["qwen2.5-7b"].nEmbd;
  const context = await model.createContext({ contextSize: 2049, sequences: 1, batchSize: 2048 });
  const seq = context.getSequence();
  const tokens = Array.from({ length: 2048 }, (_, i) => ((i * 37) % 250) as Token);
  const bias = (n: number, logit: number) => {
    const b = new TokenBias(model.tokenizer);
    for (let j = 0; j < n; j++) b.set(j as Token, { logit });
    return b;
  };
  const variants: Record<string, any> = {
    none: undefined,
    "head (top-k H+1, bias 64, T 4)": { probabilities: true, options: { temperature: 4, topK: H + 1, topP: 1, minP: 0, tokenBias: bias(H + 1, 64) } },
    "plus-minus (top-k 2)": { probabilities: true, options: { temperature: 1, topK: 2, topP: 1, minP: 0, tokenBias: bias(2, 256) } },
    "full vocabulary": { probabilities: true },
  };
  let base = 0;
  for (const [name, generateNext] of Object.entries(variants)) {
    const k = name === "full vocabulary" ? 4 : 32;
    let best = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      await seq.eraseContextTokenRanges([{ start: 0, end: seq.nextTokenIndex }]);
      const flagged = new Set(Array.from({ length: k }, (_, i) => Math.floor(((i + 1) * 2047) / k)));
      const input = tokens.map((t, i) => (generateNext && flagged.has(i) ? ([t, { generateNext }] as [Token, any]) : t));
      const t0 = performance.now();
      await seq.controlledEvaluate(input);
      best = Math.min(best, performance.now() - t0);
    }
    if (!generateNext) base = best;
    console.log(`${name}: 2048-token prefill ${ms(best)}${generateNext ? `, ${((best - base) / k).toFixed(2)} ms per read-out position (${k} positions)` : ""}`);
  }
  console.log(`(qwen2.5-7b shape with ${layers} layers, F16, device ${llama.gpu || "cpu"})`);
  await context.dispose();
  await model.dispose();
}

/** `--mode fixture --out DIR`: a tiny PRM, generator and gen-format data file, for trying `prm-rel score`. */
async function fixture(): Promise<void> {
  const out = a.out ?? dir;
  const { prm, gen } = await setup();
  const { copyFileSync, writeFileSync } = await import("node:fs");
  copyFileSync(join(dir, "prm.gguf"), join(out, "prm.gguf"));
  copyFileSync(join(dir, "gen.gguf"), join(out, "gen.gguf"));
  const tok = llamaTextTokenizer(gen);
  const rand = mulberry32(11);
  const results = Array.from({ length: 6 }, (_, p) => ({
    index: p,
    question: `Problem ${p}: each box holds 6 eggs; how many boxes hold ${6 * (p + 2)} eggs?`,
    gold_answer: p + 2,
    solutions: Array.from({ length: 8 }, () => {
      const steps = Array.from({ length: 3 + Math.floor(rand() * 12) }, () => SENTENCES[Math.floor(rand() * SENTENCES.length)]);
      steps.push(`The answer is $\\boxed{${p + 1 + Math.floor(rand() * 3)}}$.`);
      const text = steps.join("\n\n");
      return { text, num_tokens: tok.tokenize(text).length, finish_reason: "stop" };
    }),
  }));
  writeFileSync(join(out, "data.json"), JSON.stringify({ metadata: { model_name: "tiny", dataset: "tiny/eggs", N: 8, model_file: join(out, "gen.gguf") }, results }, null, 2));
  console.log(`wrote ${out}/prm.gguf, gen.gguf, data.json`);
  await gen.dispose();
  await prm.model.dispose();
}

const modes: Record<string, () => Promise<void>> = { passes, readout, fixture };
if (!modes[a.mode!]) throw new Error(`--mode: one of ${Object.keys(modes).join(", ")}`);
await modes[a.mode!]();
