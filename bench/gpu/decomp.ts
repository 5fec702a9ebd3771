import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { drawRequest, llamaSamplerOptions } from "../../src/gen/sampler.js";
import type { PrmScorer } from "../../src/prm/family.js";

/**
 * Where a lock-step generation step's time goes, at batch width W (milliseconds per step, median
 * of `steps` after 2 warm-ups):
 * - `gpu_batch`: one sequence fed W tokens per decode, one output: the GPU's cost of a W-token
 *   decode with almost no per-sequence bookkeeping (attention differs: one long sequence instead
 *   of W short ones — a floor for the matmuls, not for the attention).
 * - `seqs_1out`: W sequences × 1 token per decode, only one of them asks for an output: adds
 *   node-llama-cpp's per-sequence cost (one controlledEvaluate call, batch item, promise each).
 * - `seqs_topkK`: every sequence asks for the top-K next-token distribution at T = 0.8: adds the
 *   sampler chain on the libuv pool and K probabilities handed to JS per sequence — the cost of
 *   the distribution's size, whatever the model's logits look like.
 * - `seqs_minp`: every sequence asks for what the gen engine asks (drawRequest: min-p cut, T = 0.8);
 *   how many tokens come back depends on the model's logits (recorded: `minp_mean_tokens`).
 * The engine itself (runGen) adds pickToken, the rare full-vocabulary redraws and bookkeeping.
 */
export interface GenDecomp {
  width: number;
  promptTokens: number;
  steps: number;
  prefill_s: number;
  ms_per_step: Record<string, number>;
  tokens_per_s: Record<string, number>;
  minp_mean_tokens?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeSteps(steps: number, step: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await step();
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function genDecomp(model: LlamaModel, opts: { width: number; promptTokens: number; steps: number; vocabSize: number; modes?: string[] }): Promise<GenDecomp> {
  const { width: W, promptTokens: P, steps } = opts;
  const modes = opts.modes ?? ["gpu_batch", "seqs_1out", "seqs_topk64", "seqs_topk4096", "seqs_minp"];
  const tok = (i: number) => (65 + (i % 26)) as Token;
  const prompt = Array.from({ length: P }, (_, i) => tok(i * 7));
  const greedy = { temperature: 1, topK: 1, topP: 1, minP: 0, seed: 0 };
  const sampler = { temperature: 0.8, topP: 0.9 };
  const minp = drawRequest(sampler, opts.vocabSize).options;
  let minpTokens = 0;
  let minpCalls = 0;
  const ms: Record<string, number> = {};
  let prefill_s = 0;
  const stepsNeeded = (steps + 2) * modes.filter((m) => m !== "gpu_batch").length + 4;

  if (modes.includes("gpu_batch")) {
    const ctx = await model.createContext({ contextSize: P + W * (steps + 3) + 8, sequences: 1, batchSize: Math.max(W, 512) });
    try {
      const seq = ctx.getSequence();
      await seq.controlledEvaluate(prompt);
      let k = 0;
      ms.gpu_batch = await timeSteps(steps, () => {
        const input: any[] = Array.from({ length: W - 1 }, () => tok(k++));
        input.push([tok(k++), { generateNext: { token: true, options: greedy } }]);
        return seq.controlledEvaluate(input);
      });
    } finally {
      await ctx.dispose();
    }
  }

  const seqModes = modes.filter((m) => m !== "gpu_batch");
  if (seqModes.length > 0) {
    const ctx = await model.createContext({ contextSize: P + stepsNeeded + 8, sequences: W, batchSize: Math.max(W, 2048) });
    try {
      const seqs: LlamaContextSequence[] = Array.from({ length: W }, () => ctx.getSequence());
      const t = performance.now();
      await Promise.all(seqs.map((s) => s.controlledEvaluate(prompt)));
      prefill_s = (performance.now() - t) / 1000;
      let k = 0;
      for (const mode of seqModes) {
        const options = mode === "seqs_minp" ? minp : llamaSamplerOptions(sampler, Number(mode.replace("seqs_topk", "")) || 64, opts.vocabSize);
        ms[mode] = await timeSteps(steps, async () => {
          k++;
          const out = await Promise.all(
            seqs.map((s, i) => {
              if (mode === "seqs_1out") return s.controlledEvaluate([i === 0 ? [tok(k + i), { generateNext: { token: true, options: greedy } }] : tok(k + i)]);
              return s.controlledEvaluate([[tok(k + i), { generateNext: { probabilities: true, options } }]]);
            }),
          );
          if (mode === "seqs_minp") {
            for (const o of out) minpTokens += o.at(-1)?.next?.probabilities?.size ?? 0;
            minpCalls += out.length;
          }
        });
      }
    } finally {
      await ctx.dispose();
    }
  }
  const tokens_per_s = Object.fromEntries(Object.entries(ms).map(([m, v]) => [m, Math.round((W / v) * 1000)]));
  return { width: W, promptTokens: P, steps, prefill_s, ms_per_step: ms, tokens_per_s, ...(minpCalls ? { minp_mean_tokens: minpTokens / minpCalls } : {}) };
}

/**
 * PRM prefill with and without step read-outs: `sequences` sequences of `length` tokens evaluated
 * at once (node-llama-cpp batches them), first with no outputs, then with `positions` Qwen-head
 * read-outs (level 0: H+1 probabilities each) spread over each sequence.
 */
export interface ScoreDecomp {
  sequences: number;
  length: number;
  positions: number;
  batchSize: number;
  plain_tokens_per_s: number;
  readout_tokens_per_s: number;
  /** Extra wall time per read-out position (all sequences' read-outs overlap on the thread pool). */
  ms_per_readout: number;
}

export async function scoreDecomp(model: LlamaModel, scorer: PrmScorer, opts: { sequences: number; length: number; positions: number; batchSize: number }): Promise<ScoreDecomp> {
  const { sequences: S, length: L, positions: K } = opts;
  const ctx = await model.createContext({ contextSize: L + 8, sequences: S, batchSize: opts.batchSize });
  try {
    const seqs = Array.from({ length: S }, () => ctx.getSequence());
    const tokens = (s: number) => Array.from({ length: L }, (_, i) => (65 + ((i * 13 + s) % 26)) as Token);
    const every = Math.floor(L / K);
    const gn = scorer.generateNext(0);
    const run = async (withReadouts: boolean) => {
      await Promise.all(seqs.map((q) => q.clearHistory()));
      const t = performance.now();
      await Promise.all(
        seqs.map((q, s) =>
          q.controlledEvaluate(tokens(s).map((tk, i) => (withReadouts && (i + 1) % every === 0 ? ([tk, { generateNext: gn }] as any) : tk))),
        ),
      );
      return (performance.now() - t) / 1000;
    };
    await run(false); // warm-up
    const plain = Math.min(await run(false), await run(false));
    const readout = Math.min(await run(true), await run(true));
    const positions = S * Math.floor(L / every);
    return {
      sequences: S, length: L, positions: Math.floor(L / every), batchSize: opts.batchSize,
      plain_tokens_per_s: Math.round((S * L) / plain),
      readout_tokens_per_s: Math.round((S * L) / readout),
      ms_per_readout: ((readout - plain) / positions) * 1000,
    };
  } finally {
    await ctx.dispose();
  }
}
