import { mulberry32, normalSampler } from "../../src/util/random.js";

/**
 * A synthetic `prm-rel gen` file of MathArena size for the scoring benchmark. All text is ASCII,
 * so under the benchmark models' byte-level vocabulary one character is one token (generator and
 * PRM alike, as Qwen2.5-Math and its PRM share one tokenizer): lengths below are in tokens.
 *
 * Lengths "drawn like real ones": a Qwen2.5-Math-7B run on a hard set has a block of solutions
 * that hit max_tokens (here 22% at exactly 2048, finish "length") and the rest spread log-normally
 * (median 820, σ 0.45, clipped to 120…2047), which gives a mean near 1100 tokens. Steps are
 * "\n\n"-separated blocks of 20…260 tokens (mean ≈ 95, ~12 steps per solution), the last one of a
 * finished solution ending in a boxed answer (right for ~30%). Questions are 100…260 tokens.
 */
export interface SynthOptions {
  problems: number;
  samples: number;
  maxTokens?: number;
  seed?: number;
  modelName?: string;
}

const WORDS = (
  "we let the number of ways so that then since it follows hence compute sum product integer prime divides " +
  "modulo remainder triangle circle radius area angle equal greater less therefore consider case each pair " +
  "x y z n k m a b c f(x) 2 3 5 7 11 13 17 19 = + - * / ( ) ^ \\frac{1}{2} \\sqrt{3} \\cdot \\le \\ge $ step"
).split(" ");

export function synthGenFile(opts: SynthOptions) {
  const maxTokens = opts.maxTokens ?? 2048;
  const uni = mulberry32(opts.seed ?? 7);
  const normal = normalSampler(uni);
  const int = (lo: number, hi: number) => lo + Math.floor(uni() * (hi - lo + 1));
  const text = (n: number) => {
    let s = "";
    while (s.length < n) s += (s ? " " : "") + WORDS[Math.floor(uni() * WORDS.length)];
    return s.slice(0, n);
  };
  const results = [];
  let total = 0;
  for (let p = 0; p < opts.problems; p++) {
    const gold = String(int(1, 999));
    const question = `Problem ${p}: ` + text(int(100, 260));
    const solutions = [];
    for (let k = 0; k < opts.samples; k++) {
      const hitCap = uni() < 0.22;
      const len = hitCap ? maxTokens : Math.max(120, Math.min(maxTokens - 1, Math.round(820 * Math.exp(0.45 * normal()))));
      const ending = hitCap ? "" : `\n\nTherefore, the final answer is: $\\boxed{${uni() < 0.3 ? gold : String(int(1, 999))}}$. I hope it is correct.`;
      const body = Math.max(1, len - ending.length);
      const steps: string[] = [];
      let used = 0;
      while (used < body) {
        const step = Math.min(int(20, 260), body - used);
        steps.push(text(step));
        used += step + 2;
      }
      let solution = steps.join("\n\n").slice(0, body) + ending;
      if (solution.length > len) solution = solution.slice(0, len);
      total += solution.length;
      solutions.push({ text: solution, num_tokens: solution.length, finish_reason: hitCap ? "length" : "stop" });
    }
    results.push({ index: p, question, gold_answer: gold, solutions });
  }
  return {
    file: { metadata: { model_name: opts.modelName ?? "bench-gen.gguf", dataset: "synthetic/matharena-sized", N: opts.samples, synthetic: true }, results },
    totalTokens: total,
  };
}
