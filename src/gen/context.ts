import { InsufficientMemoryError, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import { UserError, oneLine } from "../errors.js";
import { log } from "../log.js";
import { guardOutputReorder } from "../llama/output-reorder.js";

export interface GenContext {
  context: LlamaContext;
  /** Sequences actually decoded together (may be below the request when memory is short). */
  width: number;
  /** Tokens per decode (= llama.cpp n_batch = n_ubatch). */
  batchSize: number;
}

/**
 * Open the generation context: `width` sequences plus one pad sequence (see engine.ts), each
 * sized to the longest prompt + max_tokens (node-llama-cpp's contextSize is per sequence; one
 * that overflows silently loses its start), and a batch that holds one token per sequence or one
 * whole prompt (engine.ts decodes them apart). When the KV cache does not fit, halve the width.
 */
export async function openGenContext(model: LlamaModel, opts: { width: number; maxPrompt: number; maxTokens: number }): Promise<GenContext> {
  const contextSize = opts.maxPrompt + opts.maxTokens;
  let lastError: unknown;
  if (opts.width > MAX_WIDTH) log.warn(`batch width ${opts.width} lowered to ${MAX_WIDTH}: llama.cpp holds at most ${MAX_WIDTH + 1} sequences per context (one is the pad)`);
  for (let width = Math.min(opts.width, MAX_WIDTH); width >= 1; width = Math.floor(width / 2)) {
    const batchSize = Math.max(width + 1, opts.maxPrompt);
    try {
      const context = await model.createContext({ contextSize, sequences: width + 1, batchSize, failedCreationRemedy: false });
      // Several sequences share this context: take the fix for node-llama-cpp's output-reorder race.
      guardOutputReorder(context);
      if (width < opts.width) log.warn(`batch width lowered to ${width} sequences (not enough memory for ${opts.width})`);
      return { context, width, batchSize };
    } catch (error) {
      lastError = error;
      const message = String((error as Error)?.message ?? error);
      if (!(error instanceof InsufficientMemoryError) && !/memory|alloc/i.test(message)) throw error;
    }
  }
  throw new UserError(
    `not enough memory for even one sequence of ${contextSize} tokens (${oneLine(String((lastError as Error)?.message ?? lastError)).slice(0, 160)}); lower --max_tokens or use a smaller --quantization`,
  );
}

/** llama.cpp allows at most 256 sequences per context (LLAMA_MAX_SEQ); the engine adds one pad sequence. */
export const MAX_WIDTH = 255;

/**
 * Default batch width: every sample of as many problems as the device holds, so decodes stay
 * wide across problem boundaries. GPU: all problems' samples up to MAX_WIDTH sequences (the context
 * halves it if the KV cache does not fit). CPU: N sequences, capped at 64 (wider only adds RAM).
 * `problems` is the whole selection, so a resumed run gets the same width.
 */
export function defaultWidth(opts: { gpu: boolean; samples: number; problems: number }): number {
  const all = opts.samples * Math.max(1, opts.problems);
  return Math.max(1, opts.gpu ? Math.min(all, MAX_WIDTH) : Math.min(all, opts.samples, 64));
}
