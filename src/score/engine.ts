import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { ReadoutRangeError, type Encoded, type PrmScorer } from "../prm/family.js";
import { guardOutputReorder } from "../llama/output-reorder.js";

/**
 * The scoring engine. Scoring is prefill-bound, so it evaluates as few tokens as it can:
 * - every context sequence keeps its KV cache between items; a new item erases only what differs
 *   from the cached tokens (longest common prefix) and evaluates the rest, so the complete steps
 *   shared by every τ, and the system prompt + question shared by every solution of a problem,
 *   are evaluated once;
 * - the reward read at a position is cached with it (a position's read-out depends only on the
 *   tokens up to it), so shared steps are read once;
 * - one worker per context sequence pulls jobs (solutions) from one queue, so many solutions are in
 *   flight at once: several contexts decode concurrently, and node-llama-cpp batches the tokens of
 *   a context's sequences into the same decodes (see layout.ts for why one sequence per context).
 * `reuse: false` is the naive method (a fresh pass per item), for tests and the benchmark.
 */
export interface EngineJob<K = unknown> {
  key: K;
  items: readonly Encoded[];
}

export interface JobResult {
  /** Per item, the reward of each of its reward positions. */
  rewards: number[][];
  /** PRM tokens evaluated for this job (re-reads after a range escalation included). */
  tokensEvaluated: number;
  /** Positions re-read at a higher read-out level. */
  escalations: number;
}

export interface EngineOptions<K> {
  scorer: PrmScorer;
  /** The PRM contexts; every sequence of each is a worker. */
  contexts: readonly LlamaContext[];
  /** Keep and reuse the KV cache between items (default true). */
  reuse?: boolean;
  /** Stop taking new jobs; jobs in flight are abandoned (their results are not reported). */
  signal?: AbortSignal;
  onJobDone?(job: EngineJob<K>, result: JobResult): void;
}

/** Run all jobs over every sequence of the contexts; resolves when the queue is drained or aborted. */
export async function runEngine<K>(jobs: Iterable<EngineJob<K>>, opts: EngineOptions<K>): Promise<void> {
  const queue = jobs[Symbol.iterator]();
  const workers: Promise<void>[] = [];
  const sequences: LlamaContextSequence[] = [];
  for (const context of opts.contexts) guardOutputReorder(context);
  try {
    // Round-robin over the contexts, so that a short queue still spreads over all of them.
    for (let more = true; more; ) {
      more = false;
      for (const context of opts.contexts) {
        if (context.sequencesLeft > 0) {
          sequences.push(context.getSequence());
          more = true;
        }
      }
    }
    for (const seq of sequences) {
      const worker = new SequenceWorker(seq, opts.scorer, opts.reuse ?? true);
      workers.push(
        (async () => {
          for (;;) {
            if (opts.signal?.aborted) return;
            const next = queue.next();
            if (next.done) return;
            const result = await worker.runJob(next.value.items, opts.signal);
            if (result) opts.onJobDone?.(next.value, result);
          }
        })(),
      );
    }
    await Promise.all(workers);
  } finally {
    await Promise.allSettled(workers);
    for (const seq of sequences) seq.dispose();
  }
}

/** One context sequence, its cached tokens, and the rewards read at cached positions. */
export class SequenceWorker {
  private readonly cache = new Map<number, number>();

  constructor(
    readonly sequence: LlamaContextSequence,
    private readonly scorer: PrmScorer,
    private readonly reuse: boolean,
  ) {}

  /** Evaluate one job's items in order; undefined when aborted between items. */
  async runJob(items: readonly Encoded[], signal?: AbortSignal): Promise<JobResult | undefined> {
    const result: JobResult = { rewards: [], tokensEvaluated: 0, escalations: 0 };
    const level = { value: 0 };
    for (const item of items) {
      if (signal?.aborted) return undefined;
      result.rewards.push(await this.evaluate(item, level, result));
    }
    return result;
  }

  private async erase(from: number): Promise<void> {
    const end = this.sequence.nextTokenIndex;
    if (end > from) await this.sequence.eraseContextTokenRanges([{ start: from, end }]);
    for (const p of [...this.cache.keys()]) if (p >= from) this.cache.delete(p);
  }

  /** The rewards of one item, evaluating only what the cache lacks. */
  async evaluate(item: Encoded, level: { value: number }, stats: { tokensEvaluated: number; escalations: number }): Promise<number[]> {
    // A sequence that overflows would silently drop its start (context shift): never let it.
    if (item.tokens.length > this.sequence.contextSize) {
      throw new Error(`a PRM sequence of ${item.tokens.length} tokens exceeds the context of ${this.sequence.contextSize}`);
    }
    let start = 0;
    if (this.reuse) {
      start = Math.min(this.sequence.compareContextTokens(item.tokens).firstDifferentIndex, item.tokens.length);
      const missing = item.rewardPositions.find((p) => p < start && !this.cache.has(p));
      if (missing !== undefined) start = missing;
    }
    if (start < item.tokens.length) {
      await this.erase(start);
      for (;;) {
        const failedAt = await this.evaluateFrom(item, start, level.value);
        stats.tokensEvaluated += item.tokens.length - start;
        if (failedAt < 0) break;
        if (level.value + 1 >= this.scorer.levels) {
          throw new Error(`PRM read-out out of range at every level (position ${failedAt} of a ${item.tokens.length}-token sequence)`);
        }
        level.value++;
        stats.escalations++;
        await this.erase(failedAt);
        start = failedAt;
      }
    }
    return item.rewardPositions.map((p) => this.cache.get(p)!);
  }

  /** Evaluate tokens[start…] reading rewards at the item's positions; returns the first position whose read-out failed, or −1. */
  private async evaluateFrom(item: Encoded, start: number, level: number): Promise<number> {
    const flagged = new Set(item.rewardPositions.filter((p) => p >= start));
    const generateNext = this.scorer.generateNext(level);
    const input = item.tokens.slice(start).map((t, i) => (flagged.has(start + i) ? ([t, { generateNext }] as [Token, any]) : t));
    const output = await this.sequence.controlledEvaluate(input);
    for (const p of item.rewardPositions) {
      if (p < start) continue;
      const probabilities = output[p - start]?.next?.probabilities;
      if (!probabilities) throw new Error(`no probabilities returned at position ${p}`);
      try {
        this.cache.set(p, this.scorer.reward(probabilities, level));
      } catch (error) {
        if (error instanceof ReadoutRangeError) return p;
        throw error;
      }
    }
    return -1;
  }
}
