import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { LockstepDecoder, type TokenPairs } from "../llama/lockstep-decoder.js";
import type { DrawRequest } from "./sampler.js";

/**
 * How a lock-step step reaches llama.cpp (engine.ts). Both decode the same batch — every row one
 * token, each asking for an output — so both give bit-identical logits:
 * - `direct`: one native decode through LockstepDecoder, pooled samplers (the default; fast);
 * - `controlled`: one `controlledEvaluate` per row, batched by node-llama-cpp (the original path,
 *   kept for tests and benchmarks that compare the two).
 */
export type GenEngine = "direct" | "controlled";
export const GEN_ENGINES: readonly GenEngine[] = ["direct", "controlled"];

export interface StepRow {
  seq: LlamaContextSequence;
  token: Token;
  /** Wants a draw: read its distribution (filler and pad rows are decoded, not read). */
  draw: boolean;
}

/**
 * Both paths hand distributions over as llama.cpp's [id, p, id, p, …] array (what drawFromPairs
 * reads): no per-row conversion on the JS thread, which is the engine's bottleneck.
 */
export interface Stepper {
  /**
   * Decode every row; per draw row, `reduce` of its distribution under the draw request (called
   * as each arrives, in any order), undefined for the others.
   */
  step<R>(rows: StepRow[], reduce: (i: number, pairs: TokenPairs) => R): Promise<(R | undefined)[]>;
  /** The whole vocabulary's distribution for row i of the last step, and how many decodes that took. */
  redraw(i: number): Promise<{ pairs: TokenPairs; decodes: number }>;
  dispose(): void;
}

export interface StepperOptions {
  request: DrawRequest;
  fullRequest: DrawRequest;
}

/** The LockstepDecoder path. A redraw reads the same batch row again: no decode, the same logits. */
export function directStepper(context: LlamaContext, o: StepperOptions): Stepper {
  const decoder = new LockstepDecoder(context);
  return {
    step: (rows, reduce) => decoder.stepWith(rows.map((r) => (r.draw ? { seq: r.seq, token: r.token, options: o.request.options } : { seq: r.seq, token: r.token })), reduce),
    async redraw(i) {
      return { pairs: await decoder.resample(i, o.fullRequest.options), decodes: 0 };
    },
    dispose: () => decoder.dispose(),
  };
}

/**
 * The controlledEvaluate path (node-llama-cpp batches the calls of one tick into one decode). A
 * redraw feeds the row's token again, alone, and reads the whole vocabulary from that decode.
 */
export function controlledStepper(o: StepperOptions): Stepper {
  // A filler row must ask for an output too (same decode shape): the cheapest one, a top-1 token.
  const cheap = { generateNext: { token: true, options: { temperature: 1, topK: 1, topP: 1, minP: 0, seed: 0 } } };
  let last: StepRow[] = [];
  return {
    async step(rows, reduce) {
      last = rows;
      const results = await Promise.all(
        rows.map((r) => r.seq.controlledEvaluate([[r.token, r.draw ? { generateNext: { probabilities: true, options: o.request.options } } : cheap]])),
      );
      return results.map((res, i) => (rows[i].draw ? reduce(i, pairsOf(distribution(res))) : undefined));
    },
    async redraw(i) {
      const { seq, token } = last[i];
      await seq.eraseContextTokenRanges([{ start: seq.nextTokenIndex - 1, end: seq.nextTokenIndex }]);
      const again = await seq.controlledEvaluate([[token, { generateNext: { probabilities: true, options: o.fullRequest.options } }]]);
      return { pairs: pairsOf(distribution(again)), decodes: 1 };
    },
    dispose() {},
  };
}

type Evaluated = Awaited<ReturnType<LlamaContextSequence["controlledEvaluate"]>>;

function distribution(result: Evaluated): ReadonlyMap<number, number> {
  const probs = result.at(-1)?.next.probabilities;
  if (!probs) throw new Error("llama.cpp returned no next-token distribution");
  return probs;
}

/** node-llama-cpp's Map back to the [id, p, …] array it was revived from (same order: toCandidates ≡ candidatesFromPairs). */
function pairsOf(map: ReadonlyMap<number, number>): TokenPairs {
  const pairs: TokenPairs = [];
  for (const [id, p] of map) pairs.push(id, p);
  return pairs;
}
