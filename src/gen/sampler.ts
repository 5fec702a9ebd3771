import { mixSeed, mulberry32 } from "../util/random.js";

/**
 * The token sampler of `prm-rel gen`, as a pure function of a next-token distribution and a
 * uniform draw. Semantics are vLLM's (the seed's engine): probabilities = softmax(logits / T);
 * top-p keeps the smallest prefix, in (probability desc, token id asc) order, whose mass is
 * >= top_p; renormalise; draw with u. T = 0 is greedy (ties → lowest id).
 *
 * llama.cpp hands us the distribution (its sampler's `probabilities`, see gen/step.ts), renormalised
 * over the candidates its sampler chain keeps. Returning all 152k of them costs ~100 ms a token,
 * so we ask only for the tokens within a logit gap of the best one (llama.cpp's min_p, which
 * filters in one pass without sorting the vocabulary): every unseen token is then provably below a
 * known probability (`tailMax`). `pickToken` returns a token only when that bound proves the draw
 * equals the draw over the full vocabulary; otherwise `undefined`, and the caller asks again for
 * the whole vocabulary. So the result is exact, never an approximation.
 */

export interface SamplerSettings {
  /** >= 0; 0 = greedy. */
  temperature: number;
  /** In (0, 1]; 1 = no truncation. */
  topP: number;
}

/** Candidates sorted by (probability desc, token id asc). */
export interface Candidates {
  ids: Int32Array;
  probs: Float64Array;
}

/**
 * The uniform for one draw: a fresh mulberry32 stream per (seed, problem, sample, step), so a
 * draw never depends on which other sequences share the batch or in what order they run.
 */
export function uniformFor(seed: number, problemIndex: number, sampleIndex: number, step: number): number {
  return mulberry32(mixSeed(seed, problemIndex, sampleIndex, step))();
}

/** Turn node-llama-cpp's probability map into sorted candidate arrays (ties ordered by id). */
export function toCandidates(map: ReadonlyMap<number, number>): Candidates {
  const n = map.size;
  const ids = new Int32Array(n);
  const probs = new Float64Array(n);
  let i = 0;
  for (const [id, p] of map) {
    ids[i] = id;
    probs[i] = p;
    i++;
  }
  return sorted(ids, probs);
}

/**
 * The same candidates straight from llama.cpp's interleaved [id, p, id, p, …] array (what
 * node-llama-cpp revives into the Map toCandidates takes; its ids are unique, so the Map drops nothing).
 */
export function candidatesFromPairs(pairs: ArrayLike<number>): Candidates {
  const n = pairs.length >> 1;
  const ids = new Int32Array(n);
  const probs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = pairs[2 * i];
    probs[i] = pairs[2 * i + 1];
  }
  return sorted(ids, probs);
}

/** Order candidates by (probability desc, id asc). */
function sorted(ids: Int32Array, probs: Float64Array): Candidates {
  const n = ids.length;
  let descending = true;
  for (let i = 1; i < n && descending; i++) if (probs[i] > probs[i - 1]) descending = false;
  if (!descending) {
    const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => probs[b] - probs[a] || ids[a] - ids[b]);
    return { ids: Int32Array.from(order, (k) => ids[k]), probs: Float64Array.from(order, (k) => probs[k]) };
  }
  // llama.cpp sorts by logit, so probabilities already descend; only the order inside runs of equal
  // probability is unspecified there: sort each run by id (cheap: runs are short).
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && probs[end] === probs[start]) end++;
    if (end - start > 1) ids.subarray(start, end).sort();
    start = end;
  }
  return { ids, probs };
}

/** First index whose cumulative mass is >= target, or -1. */
function firstAtLeast(cum: Float64Array, target: number, end = cum.length): number {
  for (let i = 0; i < end; i++) if (cum[i] >= target) return i;
  return -1;
}

/** First index whose cumulative mass is > target, or -1 (strict: zero-probability tokens are never drawn). */
function firstAbove(cum: Float64Array, target: number, end = cum.length): number {
  for (let i = 0; i < end; i++) if (cum[i] > target) return i;
  return -1;
}

/** What is known about the tokens missing from the candidates. */
export interface Tail {
  /** How many tokens of the vocabulary are not among the candidates. */
  count: number;
  /** An upper bound of each missing token's probability (same normalisation as the candidates). */
  max: number;
}

/**
 * Draw a token from `c` with uniform `u` in [0, 1). Returns undefined when the unseen tail could
 * change the answer (the caller must then ask for the whole vocabulary). With `tail.count === 0`
 * it always returns a token: that is the plain definition, used for the full vocabulary.
 */
export function pickToken(c: Candidates, tail: Tail, s: SamplerSettings, u: number): number | undefined {
  const k = c.ids.length;
  if (k === 0) return undefined;
  const tailMax = tail.count > 0 ? tail.max : 0;
  // A kept or drawn token must beat every unseen one, or their order (and ties by id) is unknown.
  const clearOfTail = (i: number) => tail.count === 0 || c.probs[i] > tailMax;
  if (s.temperature === 0) return clearOfTail(0) ? c.ids[0] : undefined;

  const cum = new Float64Array(k);
  let acc = 0;
  for (let i = 0; i < k; i++) cum[i] = acc += c.probs[i];
  // The full normaliser lies in [zLo, zHi]: the tail holds between nothing and count * max.
  const zLo = acc;
  const zHi = acc + tail.count * tailMax;
  if (s.topP < 1) {
    const lo = firstAtLeast(cum, s.topP * zLo);
    const hi = firstAtLeast(cum, s.topP * zHi);
    // The cut must be the same token for every possible tail.
    if (hi < 0 || lo !== hi || !clearOfTail(hi)) return undefined;
    return c.ids[firstAbove(cum, u * cum[hi], hi + 1)];
  }
  const lo = firstAbove(cum, u * zLo);
  const hi = firstAbove(cum, u * zHi);
  if (hi < 0 || lo !== hi || !clearOfTail(hi)) return undefined;
  return c.ids[hi];
}

/**
 * `pickToken(candidatesFromPairs(pairs), request.tail(…), s, u)` straight on llama.cpp's
 * [id, p, id, p, …] array, without building Candidates (the engine's hot path: ~500 candidates a
 * row, a nucleus of a few). One pass checks the order and sums the normaliser; the cut and the
 * draw are then found by scans that stop where they are decided, and ties are ordered by id only
 * where an index is read. Bit-identical: the same float64 sums in the same order. Out-of-order
 * input (never from llama.cpp, which sorts by logit) takes the general path.
 */
export function drawFromPairs(pairs: ArrayLike<number>, request: DrawRequest, vocabSize: number, s: SamplerSettings, u: number): number | undefined {
  const k = pairs.length >> 1;
  if (k === 0) return undefined;
  let acc = 0;
  for (let i = 0, prev = Infinity; i < k; i++) {
    const p = pairs[2 * i + 1];
    if (p > prev) {
      const c = candidatesFromPairs(pairs);
      return pickToken(c, request.tail(c, vocabSize), s, u);
    }
    acc += p;
    prev = p;
  }
  const tail = request.tailFor(k, pairs[1], vocabSize);
  const tailMax = tail.count > 0 ? tail.max : 0;
  const clearOfTail = (i: number) => tail.count === 0 || pairs[2 * i + 1] > tailMax;
  if (s.temperature === 0) return clearOfTail(0) ? idAt(pairs, k, 0) : undefined;
  // As pickToken: the full normaliser lies in [zLo, zHi].
  const zLo = acc;
  const zHi = acc + tail.count * tailMax;
  const nucleus = s.topP < 1;
  const [lo, hi, cumHi] = nucleus ? firstReaching(pairs, k, s.topP * zLo, s.topP * zHi, false) : firstReaching(pairs, k, u * zLo, u * zHi, true);
  if (hi < 0 || lo !== hi || !clearOfTail(hi)) return undefined;
  if (!nucleus) return idAt(pairs, k, hi);
  const [draw] = firstReaching(pairs, hi + 1, u * cumHi, Infinity, true);
  return draw < 0 ? undefined : idAt(pairs, k, draw);
}

/**
 * Over the running sums of the pairs' probabilities (first `end`): the first index reaching `lo`
 * and the first reaching `hi` (>, or >= when not strict; -1 if none), and the sum at the latter.
 * Stops at `hi`: an index reaching `lo` later cannot equal it, whatever it is.
 */
function firstReaching(pairs: ArrayLike<number>, end: number, lo: number, hi: number, strict: boolean): [number, number, number] {
  let loAt = -1;
  let acc = 0;
  for (let i = 0; i < end; i++) {
    acc += pairs[2 * i + 1];
    if (loAt < 0 && (strict ? acc > lo : acc >= lo)) loAt = i;
    if (strict ? acc > hi : acc >= hi) return [loAt, i, acc];
  }
  return [loAt, -1, NaN];
}

/** The id at index i once ties are ordered by id (as `sorted` orders them): sort only i's run of equal probabilities. */
function idAt(pairs: ArrayLike<number>, k: number, i: number): number {
  const p = pairs[2 * i + 1];
  let start = i;
  while (start > 0 && pairs[2 * start - 1] === p) start--;
  let end = i + 1;
  while (end < k && pairs[2 * end + 1] === p) end++;
  if (end - start === 1) return pairs[2 * i];
  const ids = new Int32Array(end - start);
  for (let j = start; j < end; j++) ids[j - start] = pairs[2 * j];
  return ids.sort()[i - start];
}

/**
 * The distribution a draw is made from (after temperature and top-p, renormalised), from a full
 * probability vector indexed by token id (already at temperature T). For tests and reports.
 */
export function nucleus(probs: readonly number[], topP: number): Map<number, number> {
  const order = probs.map((p, id) => ({ p, id })).sort((a, b) => b.p - a.p || a.id - b.id);
  const total = order.reduce((s, x) => s + x.p, 0);
  const out = new Map<number, number>();
  let cum = 0;
  for (const x of order) {
    out.set(x.id, x.p);
    cum += x.p;
    if (cum >= topP * total) break;
  }
  for (const [id, p] of out) out.set(id, p / cum);
  return out;
}

/**
 * Unseen tokens may hold at most this share of the top token's probability, all together. Any
 * value is exact (pickToken proves each draw or the engine redraws over the whole vocabulary); it
 * trades candidates returned per draw (llama.cpp builds them one by one on the JS thread: ~1300 at
 * 1e-7, ~370 at 1e-4 on a 152k vocabulary; 72 vs 144 ms a step at width 255 on an H200) against
 * redraws, which stay rare: 0 of 21.8k draws on the demo generator at T 0.8 / top-p 0.9, 2 at
 * T 1 / top-p 1 (22 at 1e-3); 0.2–0.3% on a flat random 152k-vocabulary model (1.1–1.5% at 1e-3).
 */
export const TAIL_TARGET = 1e-4;
/** Slack for float32 rounding in llama.cpp (logit / T, logf(min_p), expf): ~1e-5 at worst. */
const BOUND_MARGIN = 1e-4;

export interface DrawRequest {
  /** generateNext options for llama.cpp. */
  options: { temperature: number; topK: number; topP: number; minP: number; seed: number };
  /** The tail bound that goes with what llama.cpp returns for these options. */
  tail(c: Candidates, vocabSize: number): Tail;
  /** The same from the candidates' count and top probability (no Candidates needed). */
  tailFor(size: number, top: number, vocabSize: number): Tail;
}

/**
 * What to ask llama.cpp for. llama.cpp's chain is top_k → top_p → min_p → temperature; its top_p
 * runs before the temperature (vLLM's after), so it is off (1) and pickToken applies top-p.
 * - partial (default): min_p = m keeps every token with logit >= max + ln m; the others have,
 *   after temperature, probability < m^(1/T) of the top one. m = (TAIL_TARGET / V)^T makes all
 *   of them together < TAIL_TARGET of the top token, so pickToken decides almost every draw.
 * - full: no truncation; the whole vocabulary comes back (slow on big vocabularies).
 * topK must be absent, not 0: 0 means "the whole vocabulary, sorted" (a 152k sort per token);
 * node-llama-cpp drops null fields, so null is how to leave llama.cpp's top_k out of the chain.
 * Greedy asks for T = 1 (llama.cpp's T = 0 path sorts the whole vocabulary). `tailTarget`
 * (default TAIL_TARGET) is for tests and benchmarks: a coarse one forces many full-vocabulary redraws.
 */
export function drawRequest(s: SamplerSettings, vocabSize: number, opts: { full?: boolean; tailTarget?: number } = {}): DrawRequest {
  const full = opts.full === true;
  const t = s.temperature > 0 ? s.temperature : 1;
  const target = s.temperature > 0 ? (opts.tailTarget ?? TAIL_TARGET) / vocabSize : 1e-3;
  // float32 (what llama.cpp stores) keeps subnormals down to ~1.4e-45.
  const m = full ? 0 : Math.fround(Math.min(0.5, Math.max(1e-44, target ** t)));
  const options = { temperature: t, topK: null as unknown as number, topP: 1, minP: m, seed: 0 };
  // Each unseen token's probability is below the top one's times this (multiplied in the order it always was: same bits).
  const ratio = Math.exp(Math.log(m) / t);
  const tailFor = (size: number, top: number, v: number): Tail => {
    const count = Math.max(0, v - size);
    if (count === 0) return { count: 0, max: 0 };
    if (m === 0) return { count, max: Infinity };
    return { count, max: top * ratio * (1 + BOUND_MARGIN) };
  };
  return { options, tail: (c, v) => tailFor(c.ids.length, c.probs[0], v), tailFor };
}

/**
 * Top-K request options (llama.cpp returns the K best candidates at temperature T). The engine
 * uses drawRequest (min-p) instead, whose tail bound is far tighter; kept for benchmarks that
 * compare the two.
 */
export function llamaSamplerOptions(s: SamplerSettings, k: number, vocabSize: number) {
  return { temperature: s.temperature > 0 ? s.temperature : 1, topK: k >= vocabSize ? 0 : k, topP: 1, minP: 0, seed: 0 };
}
