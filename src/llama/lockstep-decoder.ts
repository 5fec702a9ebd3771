import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";

/**
 * One lock-step decode of many sequences, one token each, straight on node-llama-cpp's native
 * batch API — what `LlamaContextSequence.controlledEvaluate` does for gen, without its
 * per-call costs. In node-llama-cpp 3.21.1 every controlledEvaluate call builds a `LlamaSampler`
 * (LlamaContext.js:1249) whose native constructor zero-fills an n_vocab array on the main thread
 * (1.8 MB at a 152k vocabulary, ~1 ms) and is freed only at GC; and each distribution comes back
 * revived into a Map. Here a fixed pool of native samplers is reused, and the distribution stays
 * the raw interleaved [id, p, id, p, …] array.
 *
 * The decode itself is unchanged: one `initBatch/addToBatch/decodeBatch` of every row, each row
 * asking for an output, under the context's lock, and each sequence's JS bookkeeping updated as
 * `_decodeTokens` does — so the logits are bit-identical to the controlledEvaluate path's.
 *
 * Uses private APIs of the pinned node-llama-cpp (3.21.1): checked up front, with a clear error
 * if they are gone, rather than decoding wrongly.
 */

/** Sampler options as node-llama-cpp's `generateNext.options` takes them. */
export interface LockstepSamplerOptions {
  temperature: number;
  topK: number | null;
  topP: number;
  minP: number;
  seed: number;
}

export interface LockstepRow {
  seq: LlamaContextSequence;
  token: Token;
  /** Read this row's next-token distribution under these options; absent: decoded, not read. */
  options?: LockstepSamplerOptions;
}

/** The next-token distribution as llama.cpp hands it over: [id, p, id, p, …], highest logit first. */
export type TokenPairs = number[];

// The context's lock, from the very lifecycle-utils instance node-llama-cpp uses (its locks live in
// a module-level map): resolved through node-llama-cpp, not as a dependency of our own.
const lifecycleUtils = createRequire(import.meta.resolve("node-llama-cpp")).resolve("lifecycle-utils");
const { withLock } = (await import(pathToFileURL(lifecycleUtils).href)) as {
  withLock<T>(scope: readonly [object, string], callback: () => Promise<T>): Promise<T>;
};

const EPOCH = Symbol("prm-rel.decodeEpoch");
/** addToBatch's output positions for a one-token row: its only token. */
const WITH_OUTPUT = Uint32Array.of(0);

/** Throw the one error for every missing private member. */
function missing(what: string): never {
  throw new Error(
    `node-llama-cpp internals changed (${what} is missing): prm-rel's lock-step decoder needs the private batch API of node-llama-cpp 3.21.1; reinstall that version`,
  );
}

const CONTEXT_METHODS = ["_reserveThreads", "_scheduleToFreeReservedThreads"] as const;
const NATIVE_METHODS = ["initBatch", "addToBatch", "decodeBatch", "sampleToken", "setThreads"] as const;

/** Check the private members the decoder uses on a context (and its model and sequence class). */
export function checkLockstepInternals(context: LlamaContext): void {
  const c = context as any;
  const ctx = c?._ctx;
  if (!ctx) missing("LlamaContext._ctx");
  for (const name of NATIVE_METHODS) if (typeof ctx[name] !== "function") missing(`LlamaContext._ctx.${name}`);
  for (const name of CONTEXT_METHODS) if (typeof c[name] !== "function") missing(`LlamaContext.${name}`);
  if (typeof c._backendContextDisposeGuard?.createPreventDisposalHandle !== "function") missing("LlamaContext._backendContextDisposeGuard");
  if (!Array.isArray(c._queuedDecodes)) missing("LlamaContext._queuedDecodes");
  if (typeof c.model?._llama?._bindings?.AddonSampler !== "function") missing("Llama._bindings.AddonSampler");
  if (!c.model?._model) missing("LlamaModel._model");
}

/** Check a sequence's private state fields (once per sequence). */
function checkSequence(seq: any): void {
  if (typeof seq?._sequenceId !== "number") missing("LlamaContextSequence._sequenceId");
  if (typeof seq._nextTokenIndex !== "number") missing("LlamaContextSequence._nextTokenIndex");
  if (!Array.isArray(seq._contextTokens)) missing("LlamaContextSequence._contextTokens");
  if (!Array.isArray(seq._loadedTokenPredictions)) missing("LlamaContextSequence._loadedTokenPredictions");
  if (typeof seq._tokenMeter?.useTokens !== "function") missing("LlamaContextSequence._tokenMeter");
  if (typeof seq._resolveSamplerConfig !== "function") missing("LlamaContextSequence._resolveSamplerConfig");
}

/**
 * How many samplers to keep: one per libuv worker (sampleToken runs there; more would only
 * queue), and no more than the runtime's threads, so `--threads 1` stays one thread.
 */
export function samplerPoolSize(runtimeThreads: number | undefined): number {
  const libuv = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(libuv, runtimeThreads && runtimeThreads > 0 ? runtimeThreads : libuv));
}

interface PooledSampler {
  native: any;
  /** The options last applied (applyConfig is incremental natively, but resolving it costs). */
  applied?: LockstepSamplerOptions;
}

export class LockstepDecoder {
  private readonly context: any;
  private readonly ctx: any;
  private samplers: PooledSampler[];
  private readonly resolved = new WeakMap<LockstepSamplerOptions, unknown>();
  private readonly checked = new WeakSet<object>();
  private last?: { epoch: number; rows: LockstepRow[]; batchIndexes: number[] };
  private readonly tokenBuffer = new Uint32Array(1);

  constructor(context: LlamaContext, opts: { pool?: number } = {}) {
    checkLockstepInternals(context);
    this.context = context;
    this.ctx = (context as any)._ctx;
    const model = (context as any).model;
    const pool = opts.pool ?? samplerPoolSize(model._llama?.maxThreads);
    this.samplers = Array.from({ length: Math.max(1, pool) }, () => ({ native: new model._llama._bindings.AddonSampler(model._model) }));
    // Count the context's decodes (ours and node-llama-cpp's), so `resample` can tell the last
    // step's logits are still there. The native method is read-only on the prototype: shadow it.
    if (this.ctx[EPOCH] === undefined) {
      const decode = this.ctx.decodeBatch;
      const ctx = this.ctx;
      Object.defineProperty(ctx, EPOCH, { value: 0, writable: true, configurable: true });
      Object.defineProperty(ctx, "decodeBatch", {
        value: (...args: unknown[]) => {
          ctx[EPOCH]++;
          return decode.apply(ctx, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }

  /**
   * Decode every row (one token each; in sequence-id order, like the controlledEvaluate path) and
   * return, per row, its next-token distribution when it has `options`, else undefined.
   */
  step(rows: LockstepRow[]): Promise<(TokenPairs | undefined)[]> {
    return this.stepWith(rows, (_, pairs) => pairs);
  }

  /**
   * As `step`, but each distribution goes through `reduce` as soon as it arrives, and only what
   * reduce returns is kept: the big arrays die young (cheap for the GC), and the JS work on a row
   * overlaps the native reads of the others.
   */
  stepWith<R>(rows: LockstepRow[], reduce: (i: number, pairs: TokenPairs) => R): Promise<(R | undefined)[]> {
    const { context, ctx } = this;
    return withLock([context, "context"], async () => {
      if (context._disposed) throw new Error("the llama.cpp context is disposed");
      // Our batch would otherwise interleave with node-llama-cpp's own queue.
      if (context._queuedDecodes.length > 0) throw new Error("lock-step decoder: node-llama-cpp has decodes queued on this context");
      for (const { seq } of rows) this.checkRow(seq);
      ctx.initBatch(rows.length);
      const batchIndexes: number[] = new Array(rows.length);
      // addToBatch copies the token out at once, so one buffer serves every row.
      const token = this.tokenBuffer;
      for (let i = 0; i < rows.length; i++) {
        const seq = rows[i].seq as any;
        token[0] = rows[i].token;
        batchIndexes[i] = ctx.addToBatch(seq._sequenceId, seq._nextTokenIndex, token, WITH_OUTPUT)[0];
      }
      // Thread reservation and dispose guard as dispatchPendingBatch takes them.
      context._reserveThreads();
      const guard = context._backendContextDisposeGuard.createPreventDisposalHandle();
      try {
        const allocation = context._threadSplitterConsumer?.getAllocationToConsume();
        const [threads, handle] = (allocation instanceof Promise ? await allocation : allocation) ?? [];
        try {
          if (threads != null) ctx.setThreads(threads);
          await ctx.decodeBatch();
        } finally {
          handle?.dispose();
        }
        for (const { seq, token } of rows) {
          const s = seq as any;
          s._nextTokenIndex += 1;
          s._contextTokens.push(token);
          s._tokenMeter.useTokens(1, "output");
        }
        this.last = { epoch: ctx[EPOCH], rows, batchIndexes };
        return await this.sampleRows(rows, batchIndexes, reduce);
      } finally {
        guard.dispose();
        context._scheduleToFreeReservedThreads();
      }
    });
  }

  /** Row i of the last step, read again under other options (e.g. the whole vocabulary): no decode. */
  resample(i: number, options: LockstepSamplerOptions): Promise<TokenPairs> {
    return withLock([this.context, "context"], async () => {
      const last = this.last;
      if (!last || last.epoch !== this.ctx[EPOCH] || i < 0 || i >= last.rows.length) throw new Error("lock-step decoder: that step's logits are gone (another decode ran since)");
      return this.sample(this.samplers[0], last.rows[i].seq, options, last.batchIndexes[i]);
    });
  }

  dispose(): void {
    for (const s of this.samplers) s.native.dispose();
    this.samplers = [];
  }

  private checkRow(seq: LlamaContextSequence): void {
    const s = seq as any;
    if (!this.checked.has(s)) {
      checkSequence(s);
      // Checkpoints (hybrid, recurrent and SWA models) are taken by node-llama-cpp's own path only.
      if (seq.needsCheckpoints) throw new Error("lock-step decoder: this model needs sequence checkpoints; use the controlledEvaluate engine");
      this.checked.add(s);
    }
    if (s._disposed || s._context !== this.context) throw new Error("lock-step decoder: a row's sequence is disposed or of another context");
    if (s._loadedTokenPredictions.length > 0) throw new Error("lock-step decoder: a sequence holds token predictions; use the controlledEvaluate engine");
    if (s._nextTokenIndex >= this.context.contextSize - 1) throw new Error("lock-step decoder: a sequence is full");
  }

  /**
   * Read the rows that have options, one pooled sampler each at a time. Per row: the native call
   * and one await, no closure or extra promise (with ~500 candidates a row, this loop and the
   * native array building are what the JS thread spends a step on).
   */
  private async sampleRows<R>(rows: LockstepRow[], batchIndexes: number[], reduce: (i: number, pairs: TokenPairs) => R): Promise<(R | undefined)[]> {
    const out: (R | undefined)[] = new Array(rows.length);
    const todo: number[] = [];
    for (let i = 0; i < rows.length; i++) if (rows[i].options) todo.push(i);
    if (todo.length === 0) return out;
    let next = 0;
    const drain = async (sampler: PooledSampler, end: number) => {
      while (next < end) {
        const i = todo[next++];
        out[i] = reduce(i, probabilitiesOf(await this.read(sampler, rows[i].seq, rows[i].options!, batchIndexes[i])));
      }
    };
    // llama.cpp reorders a batch's outputs lazily, in place, in the first logits access after the
    // decode (see output-reorder.ts): that one runs alone, the rest one per pooled sampler.
    await drain(this.samplers[0], 1);
    await Promise.all(this.samplers.map((sampler) => drain(sampler, todo.length)));
    return out;
  }

  private async sample(sampler: PooledSampler, seq: LlamaContextSequence, options: LockstepSamplerOptions, batchIndex: number): Promise<TokenPairs> {
    return probabilitiesOf(await this.read(sampler, seq, options, batchIndex));
  }

  /** Start one native read under `options` (applied to the sampler first when it has others). */
  private read(sampler: PooledSampler, seq: LlamaContextSequence, options: LockstepSamplerOptions, batchIndex: number): Promise<unknown> {
    if (sampler.applied !== options) {
      let config = this.resolved.get(options);
      if (config === undefined) {
        // The same resolution as controlledEvaluate's (it depends on the model only).
        config = (seq as any)._resolveSamplerConfig({ temperature: options.temperature, minP: options.minP, topK: options.topK, topP: options.topP, seed: options.seed });
        this.resolved.set(options, config);
      }
      sampler.native.applyConfig(config);
      sampler.applied = options;
    }
    return this.ctx.sampleToken(batchIndex, sampler.native, true, false);
  }
}

/** The distribution out of sampleToken's [token, probabilities] result. */
function probabilitiesOf(result: unknown): TokenPairs {
  const probabilities = (result as unknown[])[1];
  if (!Array.isArray(probabilities)) throw new Error("llama.cpp returned no next-token distribution");
  return probabilities;
}
