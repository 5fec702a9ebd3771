import { getLlama, TokenBias, type Llama, type LlamaModel, type Token } from "node-llama-cpp";

/** node-llama-cpp on the CPU with 2 threads (the test machines have two cores), loaded once. */
let llama: Promise<Llama> | undefined;
export function testLlama(): Promise<Llama> {
  llama ??= getLlama({ gpu: false, maxThreads: 2, build: "never", progressLogs: false });
  return llama;
}

export async function loadGguf(path: string): Promise<LlamaModel> {
  return (await testLlama()).loadModel({ modelPath: path });
}

/**
 * Next-token distributions at `positions` of `ids` (full vocabulary, temperature 1, no other
 * sampler): one prefill through controlledEvaluate.
 */
export async function nextTokenProbs(model: LlamaModel, ids: number[], positions: number[], options: Record<string, unknown> = {}): Promise<Map<number, Map<number, number>>> {
  const ctx = await model.createContext({ contextSize: Math.max(256, ids.length + 8), sequences: 1 });
  try {
    const want = new Set(positions);
    const items = ids.map((t, i) => (want.has(i) ? ([t, { generateNext: { probabilities: true, options } }] as const) : t));
    const res = await ctx.getSequence().controlledEvaluate(items as any);
    const out = new Map<number, Map<number, number>>();
    for (const p of positions) out.set(p, res[p]!.next!.probabilities!);
    return out;
  } finally {
    await ctx.dispose();
  }
}

/**
 * The PRM head's first layer W1·h at `positions`, read through the LM head that carries it
 * (src/prm/head-format.ts): lift tokens 0…H by a common logit bias, keep the top H+1, and take
 * ln p_j − ln p_H (row H is the zero reference row, whose logit is exactly 0).
 */
export async function headFirstLayer(model: LlamaModel, ids: number[], positions: number[], H: number, bias = 100): Promise<Map<number, Float64Array>> {
  const rows = Array.from({ length: H + 1 }, (_, i) => i as Token);
  const tokenBias = new TokenBias(model.tokenizer).set(rows, { logit: bias });
  const probs = await nextTokenProbs(model, ids, positions, { temperature: 1, topK: H + 1, topP: 1, minP: 0, tokenBias });
  const out = new Map<number, Float64Array>();
  for (const [pos, p] of probs) {
    const ref = Math.log(p.get(H)!);
    out.set(pos, Float64Array.from({ length: H }, (_, j) => Math.log(p.get(j)!) - ref));
  }
  return out;
}
