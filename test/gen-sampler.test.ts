import { test } from "node:test";
import assert from "node:assert/strict";
import { TAIL_TARGET, candidatesFromPairs, drawFromPairs, drawRequest, nucleus, pickToken, toCandidates, uniformFor, type Candidates, type DrawRequest } from "../src/gen/sampler.js";
import { outputFileName } from "../src/gen/output.js";
import { mulberry32 } from "../src/util/random.js";

const NO_TAIL = { count: 0, max: 0 };

/** softmax(logits / T) as llama.cpp would hand it over (all tokens, sorted by probability). */
function candidatesAt(logits: number[], t: number): Candidates {
  const w = logits.map((l) => Math.exp(l / t));
  const z = w.reduce((a, b) => a + b, 0);
  return toCandidates(new Map(w.map((x, id) => [id, x / z] as [number, number]).sort((a, b) => b[1] - a[1])));
}

test("temperature + top_p on a toy vector match the hand-computed distribution", () => {
  // logits [2, 1, 1, 0, -1], T = 0.5 → scaled [4, 2, 2, 0, -2]; p = [.7743, .1048, .1048, .0142, .0019].
  // top_p = 0.8: cumulative .7743 < .8, then .8791 >= .8 → keep ids 0 and 1 (the tie with id 2 goes
  // to the lower id); renormalised: p0 = e^4 / (e^4 + e^2) = 1 / (1 + e^-2) = 0.880797…
  const logits = [2, 1, 1, 0, -1];
  const c = candidatesAt(logits, 0.5);
  const p0 = 1 / (1 + Math.exp(-2));
  const kept = nucleus(logits.map((l) => Math.exp(l / 0.5)), 0.8);
  assert.deepEqual([...kept.keys()], [0, 1]);
  assert.ok(Math.abs(kept.get(0)! - p0) < 1e-12 && Math.abs(kept.get(1)! - (1 - p0)) < 1e-12);

  const s = { temperature: 0.5, topP: 0.8 };
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < 10_000; i++) counts[pickToken(c, NO_TAIL, s, (i + 0.5) / 10_000)!]++;
  // Inverse CDF on a uniform grid: exactly round(p0 * 10000) draws of token 0, the rest token 1.
  assert.deepEqual(counts, [Math.round(p0 * 10_000), 10_000 - Math.round(p0 * 10_000), 0, 0, 0]);
  assert.equal(pickToken(c, NO_TAIL, s, p0 - 1e-9), 0);
  assert.equal(pickToken(c, NO_TAIL, s, p0 + 1e-9), 1);
});

test("top_p = 1 draws from the whole distribution; T = 0 is greedy with ties to the lowest id", () => {
  const c = candidatesAt([0, Math.log(3)], 1); // p = [0.25, 0.75]: sorted order is id 1, then id 0
  assert.equal(pickToken(c, NO_TAIL, { temperature: 1, topP: 1 }, 0.7499), 1);
  assert.equal(pickToken(c, NO_TAIL, { temperature: 1, topP: 1 }, 0.7501), 0);
  const tie = toCandidates(new Map([[7, 0.4], [3, 0.4], [5, 0.2]]));
  assert.deepEqual([...tie.ids], [3, 7, 5]);
  assert.equal(pickToken(tie, NO_TAIL, { temperature: 0, topP: 0.9 }, 0.99), 3);
  // top_p small keeps only the first token whatever u is.
  assert.equal(pickToken(c, NO_TAIL, { temperature: 1, topP: 0.1 }, 0.999), 1);
});

test("with a tail bound the draw is either the full-vocabulary draw or undecided, never different", () => {
  const random = mulberry32(7);
  let decided = 0;
  let total = 0;
  for (let trial = 0; trial < 2000; trial++) {
    const v = 50;
    const spread = 1 + random() * 8;
    const logits = Array.from({ length: v }, () => spread * Math.log(random() + 1e-9));
    const s = { temperature: [0, 0.5, 0.8, 1.3][trial % 4], topP: [0.5, 0.9, 1][trial % 3] };
    const full = candidatesAt(logits, s.temperature || 1);
    const k = 1 + Math.floor(random() * v);
    // What llama.cpp returns for a truncated request: the top k, renormalised among themselves;
    // every other token is at most the k-th one (a valid bound, in the same normalisation).
    const z = full.probs.slice(0, k).reduce((a, b) => a + b, 0);
    const part = { ids: full.ids.slice(0, k), probs: full.probs.slice(0, k).map((p) => p / z) };
    const tail = { count: v - k, max: part.probs[k - 1] * (1 + 1e-9) };
    const u = random();
    const want = pickToken(full, NO_TAIL, s, u);
    const got = pickToken(part, tail, s, u);
    total++;
    if (got !== undefined) {
      decided++;
      assert.equal(got, want, `trial ${trial}: k=${k} T=${s.temperature} top_p=${s.topP}`);
    }
  }
  assert.ok(decided > total * 0.2 && decided < total, `decided ${decided}/${total}`);
});

test("candidates from llama.cpp's [id, p, …] array equal those from node-llama-cpp's Map", () => {
  const random = mulberry32(3);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(random() * 40);
    const ids = Array.from({ length: 64 }, (_, k) => k).sort(() => random() - 0.5).slice(0, n);
    // Coarse probabilities make ties; every other trial is out of order (toCandidates sorts those).
    let probs = ids.map(() => Math.round(random() * 8) / 8);
    if (trial % 2 === 0) probs = probs.sort((a, b) => b - a);
    const pairs = ids.flatMap((id, k) => [id, probs[k]]);
    const map = new Map(ids.map((id, k) => [id, probs[k]] as [number, number]));
    assert.deepEqual(candidatesFromPairs(pairs), toCandidates(map));
  }
});

/** What llama.cpp hands over: float32 softmax over the kept tokens, sorted by logit (ties in any order). */
function llamaPairs(random: () => number, n: number, spread: number, quantum: number): number[] {
  const ids = Array.from({ length: n }, (_, k) => k * 3 + Math.floor(random() * 3));
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [ids[k], ids[j]] = [ids[j], ids[k]];
  }
  // Coarse logits make ties (equal probabilities); sorted by logit only.
  const logits = ids.map(() => Math.fround(Math.round((spread * Math.log(random() + 1e-12)) / quantum) * quantum)).sort((a, b) => b - a);
  const e = logits.map((l) => Math.fround(Math.exp(l - logits[0])));
  let z = 0;
  for (const x of e) z = Math.fround(z + x);
  return ids.flatMap((id, k) => [id, Math.fround(e[k] / z)]);
}

test("drawFromPairs draws exactly what pickToken draws from the same pairs, for every request, setting and uniform", () => {
  const random = mulberry32(11);
  // A hand-made tail too: any bound, including one that no real request gives.
  const odd: DrawRequest = {
    options: drawRequest({ temperature: 1, topP: 1 }, 10).options,
    tail: (c, v) => odd.tailFor(c.ids.length, c.probs[0], v),
    tailFor: (size, top, v) => ({ count: v - size, max: top * 0.03 }),
  };
  let checked = 0;
  const decided = new Set<string>();
  for (let trial = 0; trial < 6000; trial++) {
    const s = { temperature: [0, 0.5, 0.8, 1, 1.3][trial % 5], topP: [0.1, 0.5, 0.9, 0.95, 1][Math.floor(trial / 5) % 5] };
    const n = trial % 97 === 0 ? 0 : 1 + Math.floor(random() ** 2 * 700);
    let pairs = llamaPairs(random, n, 1 + random() * 12, [0, 0.5, 2][trial % 3] || 1e-30);
    // Now and then out of order (never from llama.cpp; the general path), or with zero probabilities.
    if (trial % 13 === 0 && n > 2) [pairs[1], pairs[3]] = [pairs[3], pairs[1]];
    if (trial % 17 === 0) pairs = pairs.map((x, k) => (k % 2 === 1 && k > 2 * (n >> 1) ? 0 : x));
    const vocab = n + [0, 5, 1000, 152064][trial % 4];
    const requests = [drawRequest(s, vocab), drawRequest(s, vocab, { tailTarget: 0.1 }), drawRequest(s, vocab, { full: true }), odd];
    const c = candidatesFromPairs(pairs);
    // Uniforms at random and right on the cumulative boundaries (where > vs >= matters).
    let acc = 0;
    const cums = Array.from(c.probs, (p) => (acc += p));
    const us = [random(), random(), 0, cums[Math.floor(random() * n)] / acc, cums[0] / acc, (0.9 * cums[1]) / cums[1]].filter((u) => u >= 0 && u < 1);
    for (const request of requests) {
      const tail = request.tail(c, vocab);
      if (n > 0 && pairs[1] === c.probs[0]) assert.deepEqual(request.tailFor(n, pairs[1], vocab), tail);
      for (const u of us) {
        const want = pickToken(c, tail, s, u);
        const got = drawFromPairs(pairs, request, vocab, s, u);
        assert.equal(got, want, `trial ${trial}: n=${n} V=${vocab} T=${s.temperature} top_p=${s.topP} u=${u}`);
        checked++;
        decided.add(want === undefined ? "undecided" : "decided");
      }
    }
  }
  assert.ok(checked > 50_000 && decided.size === 2, `${checked} draws compared`);
});

test("drawFromPairs orders ties by id, as candidatesFromPairs does", () => {
  const pairs = [7, 0.4, 3, 0.4, 5, 0.1, 9, 0.1, 1, 0.1];
  const req = drawRequest({ temperature: 1, topP: 1 }, 5, { full: true });
  assert.equal(drawFromPairs(pairs, req, 5, { temperature: 0, topP: 1 }, 0.5), 3);
  // Sorted: 3, 7 (0.4 each), then 1, 5, 9 (0.1 each); total 1.1.
  const us = [0.1, 0.5, 0.8, 0.85, 0.95];
  assert.deepEqual(us.map((u) => drawFromPairs(pairs, req, 5, { temperature: 1, topP: 1 }, u)), [3, 7, 1, 5, 9]);
  assert.deepEqual(us.map((u) => pickToken(candidatesFromPairs(pairs), NO_TAIL, { temperature: 1, topP: 1 }, u)), [3, 7, 1, 5, 9]);
});

test("drawRequest: llama.cpp's top_k left out, top_p off, min_p from the tail target", () => {
  const r = drawRequest({ temperature: 0.8, topP: 0.9 }, 152064);
  assert.equal(r.options.topK, null);
  assert.equal(r.options.topP, 1);
  assert.equal(r.options.temperature, 0.8);
  assert.equal(r.options.minP, Math.fround((TAIL_TARGET / 152064) ** 0.8));
  const c = toCandidates(new Map([[1, 0.9], [2, 0.1]]));
  const tail = r.tail(c, 152064);
  assert.equal(tail.count, 152062);
  // All unseen tokens together stay below TAIL_TARGET of the top one (plus rounding slack).
  assert.ok(tail.count * tail.max < 0.9 * TAIL_TARGET * 1.0002);
  assert.equal(drawRequest({ temperature: 0.8, topP: 0.9 }, 152064, { tailTarget: 1e-7 }).options.minP, Math.fround((1e-7 / 152064) ** 0.8));
  assert.equal(drawRequest({ temperature: 0, topP: 1 }, 100).options.temperature, 1);
  assert.equal(drawRequest({ temperature: 0.8, topP: 1 }, 100, { full: true }).options.minP, 0);
  assert.deepEqual(drawRequest({ temperature: 0.8, topP: 1 }, 2, { full: true }).tail(c, 2), NO_TAIL);
});

test("uniforms are a pure function of (seed, problem, sample, step)", () => {
  const u = uniformFor(0, 3, 5, 17);
  assert.equal(uniformFor(0, 3, 5, 17), u);
  assert.ok(u >= 0 && u < 1);
  const others = [uniformFor(1, 3, 5, 17), uniformFor(0, 4, 5, 17), uniformFor(0, 3, 6, 17), uniformFor(0, 3, 5, 18)];
  for (const x of others) assert.notEqual(x, u);
});

test("output file names follow the seed's example", () => {
  assert.equal(outputFileName("MathArena/aime_2025", "Qwen/Qwen2.5-7B-Math-Instruct", 64), "MathArena_aime_2025_Qwen_Qwen2.5-7B-Math-Instruct_N64.json");
  assert.equal(outputFileName("/data/sets/probs.jsonl", "/m/tiny-Q4_K_M.gguf", 4), "probs_tiny-Q4_K_M_N4.json");
  assert.equal(outputFileName("MathArena/hmmt_feb_2025", "hf:Qwen/Qwen2.5-Math-7B-Instruct-GGUF:Q4_K_M", 8), "MathArena_hmmt_feb_2025_Qwen_Qwen2.5-Math-7B-Instruct-GGUF_Q4_K_M_N8.json");
});
