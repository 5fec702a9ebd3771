import type { LlamaContext } from "node-llama-cpp";

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
