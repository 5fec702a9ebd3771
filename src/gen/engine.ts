import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { drawFromPairs, drawRequest, uniformFor, type SamplerSettings } from "./sampler.js";
import { controlledStepper, directStepper, type GenEngine, type StepRow } from "./step.js";
import type { TokenPairs } from "../llama/lockstep-decoder.js";

/**
 * Lock-step batch generation on one llama.cpp context: every slot advances one token per decode,
 * drawn by `drawFromPairs` (pickToken's draw, read straight off llama.cpp's array) with a
 * per-(seed, problem, sample, step) uniform. A finished slot is
 * refilled at once with the next (problem, sample), so decodes stay wide across problems.
 *
 * Why a sequence's tokens do not depend on its neighbours, the schedule or the thread count.
 * llama.cpp's CPU backend gives bit-identical rows for any ubatch of >= 2 rows, but a 1-row
 * matmul takes another kernel (measured). node-llama-cpp contexts keep one KV stream per
 * sequence, and llama.cpp then splits a decode into ubatches of *consecutive sequence ids with
 * equal token counts*. So:
 * - every step decodes all slots, one token each, each asking for an output (an idle slot feeds a
 *   filler token), plus a pad sequence when there is only one slot: one ubatch of >= 2 rows;
 * - prompts are prefilled alone, one sequence per decode, without outputs: one fixed shape;
 *   the last prompt token goes in with the next step. A slot that moves on to another sample of
 *   the same problem keeps that prefill and drops only what came after it (the same KV);
 * - the rare redraw over the full vocabulary (see sampler.ts) reads the same batch row again
 *   (direct engine, step.ts), or decodes that sequence alone (controlled engine: a third shape).
 * Every decode of a run thus has one of these fixed shapes, whatever the schedule: a resumed run
 * (other problems in flight) equals an uninterrupted one. Measured: on CPU, solutions are also
 * identical across widths 1…64 (F32, F16, Q8_0); on CUDA (H200) only within one matmul-kernel
 * class (Q8_0: widths 1–8 vs 9+; F16: 1–9 vs 32+), since llama.cpp picks CUDA kernels by row count.
 */

export interface GenJob {
  /** Position in the selection (output order). */
  position: number;
  /** The dataset's problem index: seeds the draws, so a problem's samples don't depend on the selection. */
  index: number;
  prompt: Token[];
}

export interface SampleOutput {
  /** Generated tokens, EOG excluded. */
  tokens: Token[];
  finish: "stop" | "length";
}

export interface EngineOptions {
  model: LlamaModel;
  /** A context with width + 1 sequences (see openGenContext). */
  context: LlamaContext;
  width: number;
  vocabSize: number;
  samples: number;
  maxTokens: number;
  sampler: SamplerSettings;
  seed: number;
  /** Always ask llama.cpp for the whole vocabulary (slow; for checking the partial path). */
  fullVocabulary?: boolean;
  /** See drawRequest (tests and benchmarks only). */
  tailTarget?: number;
  /** Which path decodes a step (step.ts); default direct. Speed only: tests and benchmarks compare them. */
  engine?: GenEngine;
  /** Keep a prompt's prefill for the next sample of the same problem (default true; false for tests). */
  reusePrompts?: boolean;
  signal?: AbortSignal;
  onProblem(job: GenJob, samples: SampleOutput[]): void | Promise<void>;
  onStep?(stats: EngineStats): void;
}

export interface EngineStats {
  decodes: number;
  promptTokens: number;
  generatedTokens: number;
  /** Draws settled from the min-p candidates / redrawn over the full vocabulary. */
  draws: number;
  fullRedraws: number;
  interrupted: boolean;
}

interface JobState {
  job: GenJob;
  started: number;
  done: number;
  outputs: SampleOutput[];
}

interface Slot {
  seq: LlamaContextSequence;
  state?: JobState;
  sample: number;
  tokens: Token[];
  /** The token to feed next: the prompt's last, then each drawn one. */
  next: Token;
  /** The job whose prompt prefill the sequence holds, if any. */
  prefilled?: GenJob;
}

export async function runLockstep(opts: EngineOptions, jobs: GenJob[]): Promise<EngineStats> {
  const { model, context, sampler, vocabSize } = opts;
  const stats: EngineStats = { decodes: 0, promptTokens: 0, generatedTokens: 0, draws: 0, fullRedraws: 0, interrupted: false };
  // Sequence ids are handed out in creation order: slots get 0..width-1, the pad gets width.
  const slots: Slot[] = Array.from({ length: opts.width }, () => ({ seq: context.getSequence(), sample: 0, tokens: [], next: 0 as Token }));
  const pad = context.getSequence();
  const filler = jobs[0]?.prompt[0] ?? (0 as Token);
  const request = drawRequest(sampler, vocabSize, { full: opts.fullVocabulary, tailTarget: opts.tailTarget });
  const fullRequest = drawRequest(sampler, vocabSize, { full: true });
  // Models that need sequence checkpoints (hybrid, recurrent, SWA) only work through node-llama-cpp's path.
  const engine = opts.engine ?? (pad.needsCheckpoints ? "controlled" : "direct");
  const stepper = engine === "direct" ? directStepper(context, { request, fullRequest }) : controlledStepper({ request, fullRequest });
  let nextJob = 0;
  let current: JobState | undefined;
  const isEog = eogCache(model, vocabSize);
  // Per-step scratch, reused: the rows handed to the stepper and each slot's drawn token.
  const rows: StepRow[] = slots.map((slot) => ({ seq: slot.seq, token: filler, draw: false }));
  if (slots.length === 1) rows.push({ seq: pad, token: filler, draw: false });
  const uniforms = new Float64Array(slots.length);
  const draw = (i: number, pairs: TokenPairs) => drawFromPairs(pairs, request, vocabSize, sampler, uniforms[i]);

  const take = (): { state: JobState; sample: number } | undefined => {
    if (!current || current.started === opts.samples) {
      if (nextJob >= jobs.length) return undefined;
      current = { job: jobs[nextJob++], started: 0, done: 0, outputs: new Array(opts.samples) };
    }
    return { state: current, sample: current.started++ };
  };
  /** A filler row must not overflow its sequence: start it over when full. */
  const roomFor = async (seq: LlamaContextSequence) => {
    if (seq.nextTokenIndex >= context.contextSize - 1) await seq.clearHistory();
  };

  try {
    while (true) {
      if (opts.signal?.aborted) {
        stats.interrupted = true;
        break;
      }
      for (const slot of slots) {
        if (slot.state) continue;
        const next = take();
        if (!next) break;
        const prompt = next.state.job.prompt;
        const reuse = opts.reusePrompts !== false && slot.prefilled === next.state.job && holdsPrompt(slot.seq, prompt);
        Object.assign(slot, { state: next.state, sample: next.sample, tokens: [], next: prompt[prompt.length - 1], prefilled: next.state.job });
        if (reuse) {
          // Another sample of the problem this sequence just ran: its prompt's KV is already there
          // (from the same fixed-shape prefill), so drop only what came after.
          await slot.seq.eraseContextTokenRanges([{ start: prompt.length - 1, end: slot.seq.nextTokenIndex }]);
        } else {
          await slot.seq.clearHistory();
          // Alone, no outputs: the same decode shape whatever else is running.
          if (prompt.length > 1) await slot.seq.controlledEvaluate(prompt.slice(0, -1));
          stats.decodes++;
        }
        stats.promptTokens += prompt.length;
      }
      if (!slots.some((s) => s.state)) break;

      for (const slot of slots) {
        if (slot.state) continue;
        await roomFor(slot.seq);
        slot.prefilled = undefined; // filler tokens go in after its prompt
      }
      if (slots.length === 1) await roomFor(pad);
      for (let i = 0; i < slots.length; i++) {
        const state = slots[i].state;
        rows[i].token = state ? slots[i].next : filler;
        rows[i].draw = state !== undefined;
        if (state) uniforms[i] = uniformFor(opts.seed, state.job.index, slots[i].sample, slots[i].tokens.length);
      }
      // Each row is drawn as its distribution arrives (see Stepper.step).
      const picks = await stepper.step(rows, draw);
      stats.decodes++;

      for (let i = 0; i < slots.length; i++) {
        if (!slots[i].state || picks[i] !== undefined) continue;
        // Undecided by the bound: draw again from the whole vocabulary.
        const redraw = await stepper.redraw(i);
        picks[i] = drawFromPairs(redraw.pairs, fullRequest, vocabSize, sampler, uniforms[i]);
        stats.decodes += redraw.decodes;
        stats.fullRedraws++;
        if (picks[i] === undefined) throw new Error("no token could be drawn from the full vocabulary");
      }

      const finished: JobState[] = [];
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i];
        if (!slot.state) continue;
        const token = picks[i] as Token;
        stats.draws++;
        const eog = isEog(token);
        if (!eog) {
          slot.tokens.push(token);
          stats.generatedTokens++;
        }
        if (eog || slot.tokens.length >= opts.maxTokens) {
          const state = slot.state!;
          state.outputs[slot.sample] = { tokens: slot.tokens, finish: eog ? "stop" : "length" };
          if (++state.done === opts.samples) finished.push(state);
          slot.state = undefined;
        } else {
          slot.next = token;
        }
      }
      opts.onStep?.(stats);
      finished.sort((a, b) => a.job.position - b.job.position);
      for (const state of finished) await opts.onProblem(state.job, state.outputs);
    }
  } finally {
    stepper.dispose();
  }
  return stats;
}

/** Whether the sequence starts with the prompt minus its last token (what the prefill put there). */
function holdsPrompt(seq: LlamaContextSequence, prompt: Token[]): boolean {
  const prefix = prompt.slice(0, -1);
  return seq.nextTokenIndex >= prefix.length && seq.compareContextTokens(prefix).firstDifferentIndex === prefix.length;
}

/**
 * model.isEogToken, remembered per token id: it crosses into native code on every call, once per
 * drawn token, on the JS thread every step waits for.
 */
function eogCache(model: LlamaModel, vocabSize: number): (token: Token) => boolean {
  const known = new Uint8Array(vocabSize); // 0 unknown, 1 no, 2 yes
  return (token) => {
    if (!(token >= 0 && token < vocabSize)) return model.isEogToken(token);
    if (known[token] === 0) known[token] = model.isEogToken(token) ? 2 : 1;
    return known[token] === 2;
  };
}
