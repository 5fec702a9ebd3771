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
