import type { LlamaContext, LlamaModel } from "node-llama-cpp";
import { UserError, oneLine } from "../errors.js";
import { log } from "../log.js";

/**
 * One context with `parallel` sequences, each sized to the longest PRM sequence (node-llama-cpp's
 * contextSize is per sequence, and a sequence that overflows would silently drop its start — it
 * cannot here: every item fits). Where memory is short, retry with half the sequences.
 * Batches: up to 2048 tokens on a GPU (prefill-bound), 512 on the CPU. Flash attention is off by
 * default: on the CPU it accumulates in f16 and its step rewards drift from the reference by 3e-3
 * (1.8e-4 without); on CUDA it was 2× slower on tiny models and 3× less precise.
 */
export async function createScoringContext(
  model: LlamaModel,
  opts: { contextSize: number; parallel?: number; gpu: boolean; flashAttention?: boolean },
): Promise<{ context: LlamaContext; sequences: number; batchSize: number }> {
  let sequences = Math.max(1, opts.parallel ?? (opts.gpu ? 16 : 2));
  for (;;) {
    const batchSize = Math.min(opts.contextSize * sequences, opts.gpu ? 2048 : 512);
    try {
      const context = await model.createContext({ contextSize: opts.contextSize, sequences, batchSize, flashAttention: opts.flashAttention ?? false });
      return { context, sequences, batchSize };
    } catch (error) {
      if (sequences === 1) {
        throw new UserError(`cannot create a PRM context of ${opts.contextSize} tokens: ${oneLine(String((error as Error).message ?? error)).slice(0, 200)}`);
      }
      log.warn(`PRM context with ${sequences} sequences of ${opts.contextSize} tokens does not fit; trying ${Math.floor(sequences / 2)}`);
      sequences = Math.floor(sequences / 2);
    }
  }
}

const GUARDED = Symbol("prm-rel.outputReorderGuard");

/**
 * Work around a data race in node-llama-cpp 3.21.1 with several sequences in one context.
 * With more than one sequence, llama.cpp may reorder a batch's outputs, and it applies the
 * reordering lazily — in place, inside the first logits accessor called after the decode. After a
 * decode node-llama-cpp samples every sequence's outputs at once on libuv threads, so those
 * accessors race and some read half-swapped logit rows (seen on CUDA: step rewards off by up to
 * 0.4 with 8 sequences, exact with 1). Here the first `sampleToken` after each decode runs alone;
 * it performs the reordering, and the rest then run in parallel as before. Uses the context's
 * private native handle (`_ctx.decodeBatch`, `_ctx.sampleToken`), present in the pinned version;
 * throws if they are missing rather than scoring unsafely.
 */
export function guardOutputReorder(context: LlamaContext): void {
  const ctx = (context as any)._ctx;
  if (!ctx || ctx[GUARDED]) return;
  if (typeof ctx.decodeBatch !== "function" || typeof ctx.sampleToken !== "function") {
    throw new Error("node-llama-cpp internals changed (LlamaContext._ctx.decodeBatch/sampleToken): cannot guard the output-reorder race");
  }
  const decode = ctx.decodeBatch.bind(ctx);
  const sample = ctx.sampleToken.bind(ctx);
  let fresh = false;
  let gate: Promise<unknown> | undefined;
  // The native methods are read-only on the prototype: shadow them with own properties.
  const own = (name: string, value: unknown) => Object.defineProperty(ctx, name, { value, writable: true, configurable: true });
  own("decodeBatch", async (...args: unknown[]) => {
    const result = await decode(...args);
    fresh = true;
    gate = undefined;
    return result;
  });
  own("sampleToken", (...args: unknown[]) => {
    if (fresh) {
      fresh = false;
      const first = sample(...args);
      gate = Promise.resolve(first).catch(() => undefined);
      return first;
    }
    return gate ? gate.then(() => sample(...args)) : sample(...args);
  });
  own(GUARDED as unknown as string, true);
}
