import { UserError } from "../errors.js";

/**
 * How the scoring engine spreads its solutions in flight over llama.cpp contexts: `contexts`
 * contexts of `sequences` sequences each (contexts × sequences solutions in flight).
 *
 * Why not one context of many sequences: node-llama-cpp 3.21.1 leaves llama.cpp's `kv_unified`
 * off, so a context of S sequences keeps S KV streams and llama.cpp splits every decode with
 * `split_equal(n_ubatch, sequential)`: a ubatch takes the same number of tokens from each of a run
 * of consecutive sequence ids and ends when the shortest runs out. The engine's decodes mix suffixes
 * of 5 to 2000 tokens, so one decode becomes many small ubatches, each a full pass over the weights
 * (measured: a 1218-token decode of 8 sequences ran as 8 ubatches of 16–592 tokens). A context of
 * one sequence uses `split_simple`: full ubatches. Contexts share the model's weights; each has its
 * own KV cache and compute buffer, and decodes of different contexts run concurrently (libuv
 * threads, one CUDA stream each).
 */
export interface ScoreLayout {
  contexts: number;
  /** Sequences per context. */
  sequences: number;
}

/** At most this many contexts by default: each holds a compute buffer (≈ 0.5–1 GB at batch 2048 on a 7B). */
export const MAX_DEFAULT_CONTEXTS = 16;

/** "8x1" → 8 contexts of 1 sequence. */
export function parseLayout(spec: string): ScoreLayout {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(spec);
  const layout = m ? { contexts: Number(m[1]), sequences: Number(m[2]) } : undefined;
  if (!layout || layout.contexts < 1 || layout.sequences < 1) {
    throw new UserError(`bad score layout "${spec}": expected CONTEXTSxSEQUENCES, e.g. 8x1 or 1x16`);
  }
  return layout;
}

export const formatLayout = (l: ScoreLayout): string => `${l.contexts}x${l.sequences}`;

/** Solutions in flight. */
export const inFlight = (l: ScoreLayout): number => l.contexts * l.sequences;

/**
 * The layout for `parallel` solutions in flight (default 16 on a GPU, 2 on the CPU): one sequence per
 * context up to MAX_DEFAULT_CONTEXTS contexts, then more sequences per context (in flight may then
 * round up to a multiple of the context count). On the CPU the two cores are shared by the contexts
 * (node-llama-cpp's thread splitter), so 2 contexts of 1 sequence each decode on a core apiece.
 */
export function defaultLayout(opts: { parallel?: number; gpu: boolean }): ScoreLayout {
  const parallel = Math.max(1, opts.parallel ?? (opts.gpu ? 16 : 2));
  const sequences = Math.ceil(parallel / MAX_DEFAULT_CONTEXTS);
  return { contexts: Math.ceil(parallel / sequences), sequences };
}
