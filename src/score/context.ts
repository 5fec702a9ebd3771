import type { LlamaContext, LlamaModel } from "node-llama-cpp";
import { UserError, oneLine } from "../errors.js";
import { log } from "../log.js";
import { formatLayout, type ScoreLayout } from "./layout.js";

export interface ScoringContexts {
  contexts: LlamaContext[];
  /** The layout made (smaller than asked where memory was short). */
  layout: ScoreLayout;
  /** Tokens per decode of each context. */
  batchSize: number;
}

/**
 * The PRM contexts of a layout (see layout.ts), each sequence sized to the longest PRM sequence
 * (node-llama-cpp's contextSize is per sequence, and a sequence that overflows would silently drop
 * its start — it cannot here: every item fits). Where memory is short: keep the contexts that were
 * made (fewer solutions in flight); where not even the first fits, retry with half the sequences.
 * Batches: up to 2048 tokens on a GPU (prefill-bound), 512 on the CPU. Flash attention is on by
 * default with a GPU (a 7B PRM on an H200 scored 24–30% faster: 11.96k vs 9.67k tokens/s with Q4_0,
 * 18.2k vs 14.0k with F16) and off on the CPU, where it accumulates in f16 and step rewards drift
 * from the reference by 3e-3 (1.8e-4 without). On CUDA it is slower on tiny models and its rewards
 * differ from the non-flash path in the 4th decimal: far below what moves a correlation.
 * `threads`: CPU threads of each context (default: node-llama-cpp shares the runtime's threads
 * among the contexts decoding at once).
 */
export async function createScoringContexts(
  model: LlamaModel,
  opts: { contextSize: number; layout: ScoreLayout; gpu: boolean; flashAttention?: boolean; threads?: number },
): Promise<ScoringContexts> {
  let sequences = opts.layout.sequences;
  for (;;) {
    const batchSize = Math.min(opts.contextSize * sequences, opts.gpu ? 2048 : 512);
    const contexts: LlamaContext[] = [];
    try {
      while (contexts.length < opts.layout.contexts) {
        contexts.push(
          await model.createContext({
            contextSize: opts.contextSize, sequences, batchSize, flashAttention: opts.flashAttention ?? opts.gpu,
            ...(opts.threads ? { threads: opts.threads } : {}),
          }),
        );
      }
      return { contexts, layout: { contexts: contexts.length, sequences }, batchSize };
    } catch (error) {
      const why = oneLine(String((error as Error).message ?? error)).slice(0, 200);
      if (contexts.length > 0) {
        log.warn(`only ${contexts.length} of ${opts.layout.contexts} PRM contexts of ${sequences} × ${opts.contextSize} tokens fit (${why}); scoring with ${formatLayout({ contexts: contexts.length, sequences })}`);
        return { contexts, layout: { contexts: contexts.length, sequences }, batchSize };
      }
      if (sequences === 1) throw new UserError(`cannot create a PRM context of ${opts.contextSize} tokens: ${why}`);
      log.warn(`PRM context with ${sequences} sequences of ${opts.contextSize} tokens does not fit; trying ${Math.floor(sequences / 2)}`);
      sequences = Math.floor(sequences / 2);
    }
  }
}
