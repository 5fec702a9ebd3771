import { xorshift32 } from "../../src/util/random.js";
import { GgmlType, TokenType } from "../../src/gguf/constants.js";
import { toHalf } from "../../src/gguf/quant.js";
import { kv, writeGguf, type GgufTensorSpec } from "../../src/gguf/writer.js";
import { CHATML_TEMPLATE, SPECIAL_TOKENS, architectureMetadata, tensorLayout, tokenizerMetadata, type ModelShape } from "../../src/gguf/tiny.js";
import { byteToUnicode } from "../../src/tokenizer/bytes.js";
import { headMetadata } from "../../src/prm/head-format.js";
import { mulberry32, normalSampler } from "../../src/util/random.js";

/**
 * Random-weight GGUFs of real shapes for the GPU benchmark, laid out like the real Qwen2.5 files
 * where it matters for speed:
 * - vocabulary: the 256 byte tokens first, fillers, then the specials where Qwen puts them
 *   (`<|endoftext|>` = vocab − 421 = 151643 for 152064, `<|im_start|>`, `<|im_end|>`, and
 *   `<extra_0>` 8 past `<|endoftext|>` = 151651). Text tokenizes to one token per byte (no merges).
 *   Specials far from 0…H are what the Qwen PRM head format needs (rows 0…H carry the head).
 * - `role: "gen"`: the LM head is scaled so logits look like a confident model's, not the
 *   near-uniform 152k-token distribution a unit-scale random head gives: the first 8192 tokens
 *   (bytes and "frequent" fillers) get logits of std `logitStd` (default 8), the rest std
 *   `bulkStd` (default 2.5). Simulated: median top-1 probability 0.91 at T = 0.8, nucleus
 *   (top_p 0.9) of ~2 tokens, and ~1.4k tokens within 22.4 nats of the top (what the gen engine's
 *   min-p request returns). Real models vary; the benchmark also times the cost per returned token.
 * - `role: "prm"`: the Qwen2.5-Math-PRM head in the project's carrying format (head-format.ts):
 *   output.weight rows 0…H−1 = a random W1 (std 1/√H, so W1·h ~ N(0, 1)), every other row zero;
 *   b1, W2, b2 as `prm_rel.head.*` metadata.
 * Speed depends on shapes and types, not on weight values; the benchmark never reads the outputs
 * for meaning.
 */
export interface BenchShape extends Omit<ModelShape, "type"> {
  nVocab: number;
}

export const BENCH_SHAPES: Record<string, BenchShape> = {
  "qwen2.5-7b": { arch: "qwen2", nEmbd: 3584, nLayer: 28, nHead: 28, nHeadKv: 4, nFf: 18944, contextLength: 32768, nVocab: 152064 },
  "qwen2.5-72b": { arch: "qwen2", nEmbd: 8192, nLayer: 80, nHead: 64, nHeadKv: 8, nFf: 29568, contextLength: 32768, nVocab: 152064 },
  "qwen2.5-1.5b": { arch: "qwen2", nEmbd: 1536, nLayer: 28, nHead: 12, nHeadKv: 2, nFf: 8960, contextLength: 32768, nVocab: 151936 },
  /** For dry runs on a laptop CPU. */
  tiny: { arch: "qwen2", nEmbd: 256, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 512, contextLength: 32768, nVocab: 8192 },
  /** Qwen's vocabulary on a near-empty body: a cheap CPU decode with a realistic sampling cost (bench/gen-host.ts). */
  "tiny-152k": { arch: "qwen2", nEmbd: 64, nLayer: 1, nHead: 2, nHeadKv: 1, nFf: 128, contextLength: 32768, nVocab: 152064 },
};

/** Matrix parameters a token passes through (all but the embedding lookup), without / with the LM head. */
export function matmulParams(s: BenchShape): { body: number; head: number } {
  const kvDim = (s.nHeadKv * s.nEmbd) / s.nHead;
  const layer = 2 * s.nEmbd * s.nEmbd + 2 * kvDim * s.nEmbd + 3 * s.nEmbd * s.nFf;
  return { body: s.nLayer * layer, head: s.nVocab * s.nEmbd };
}

export interface BenchVocab {
  tokens: string[];
  types: number[];
  specialIds: Record<(typeof SPECIAL_TOKENS)[number], number>;
}

export function benchVocab(nVocab: number): BenchVocab {
  const tokens = [...byteToUnicode];
  const types: number[] = tokens.map(() => TokenType.NORMAL);
  const base = nVocab - 421;
  const at: Record<number, (typeof SPECIAL_TOKENS)[number]> = { [base]: "<|endoftext|>", [base + 1]: "<|im_start|>", [base + 2]: "<|im_end|>", [base + 8]: "<extra_0>" };
  const specialIds = {} as BenchVocab["specialIds"];
  while (tokens.length < nVocab) {
    const id = tokens.length;
    const special = at[id];
    if (special) {
      specialIds[special] = id;
      tokens.push(special);
      types.push(TokenType.CONTROL);
    } else if (id >= base) {
      tokens.push(`<|reserved_${id}|>`);
      types.push(TokenType.CONTROL);
    } else {
      // Filler "words": never produced by tokenizing text (no merges), decode to readable junk.
      tokens.push(`[w${id}]`);
      types.push(TokenType.NORMAL);
    }
  }
  return { tokens, types, specialIds };
}


export interface BenchModelOptions {
  shape: string;
  type: GgmlType.F16 | GgmlType.Q4_0;
  role: "gen" | "prm";
  /** gen: std of the logits of the first 8192 tokens (default 8), and of the rest (default 2.5). */
  logitStd?: number;
  bulkStd?: number;
  seed?: number;
}

const ROWS_PER_CHUNK = 4096;

export async function writeBenchModel(path: string, opts: BenchModelOptions): Promise<{ bytes: number; seconds: number }> {
  const t0 = performance.now();
  const s = BENCH_SHAPES[opts.shape];
  if (!s) throw new Error(`unknown shape ${opts.shape}; use one of ${Object.keys(BENCH_SHAPES).join(", ")}`);
  const shape: ModelShape = { ...s, type: opts.type };
  const H = s.nEmbd;
  if (opts.role === "prm" && s.nVocab - 421 <= H + 1) throw new Error(`vocabulary ${s.nVocab} too small to carry a PRM head of ${H}`);
  const vocab = benchVocab(s.nVocab);
  const layout = tensorLayout(shape, s.nVocab);
  const specs: GgufTensorSpec[] = layout.map((t) => ({ name: t.name, shape: t.rows === 1 ? [t.cols] : [t.cols, t.rows], type: t.rows === 1 ? GgmlType.F32 : opts.type }));
  const rand = xorshift32(opts.seed ?? 1);
  const normal = normalSampler(mulberry32((opts.seed ?? 1) * 31 + 7));
  let extra = {};
  if (opts.role === "prm") {
    const fill = (n: number, std: number) => Float32Array.from({ length: n }, () => std * normal());
    extra = headMetadata({ hidden: H, stepToken: "<extra_0>", b1: fill(H, 0.5), w2: fill(2 * H, 1.5 / Math.sqrt(H)), b2: fill(2, 0.5) });
  }
  const metadata = {
    ...architectureMetadata(shape),
    "general.name": kv.str(`prm-rel bench ${opts.shape} ${opts.role} random`),
    ...tokenizerMetadata(s.arch, vocab.tokens, vocab.types, [], vocab.specialIds, CHATML_TEMPLATE),
    ...extra,
  };
  // Rows [0, live) of a matrix get random values of std `std` (`std2` from row `split` on); rows past `live` are zero.
  function* matrix(rows: number, cols: number, stdHead: number, live: number, split = rows, std2 = stdHead): Generator<Uint8Array> {
    for (let r0 = 0, r1 = 0; r0 < rows; r0 = r1) {
      r1 = Math.min(rows, r0 + ROWS_PER_CHUNK, r0 < split ? split : rows);
      const std = r0 < split ? stdHead : std2;
      const n = (r1 - r0) * cols;
      const liveN = Math.max(0, Math.min(r1, live) - r0) * cols;
      if (opts.type === GgmlType.F16) {
        const table = Uint16Array.from({ length: 256 }, (_, k) => toHalf(((k - 127.5) / 73.6) * std));
        const out = new Uint16Array(n);
        for (let j = 0; j < liveN; j += 4) {
          const x = rand();
          out[j] = table[x & 255]; out[j + 1] = table[(x >>> 8) & 255]; out[j + 2] = table[(x >>> 16) & 255]; out[j + 3] = table[x >>> 24];
        }
        yield new Uint8Array(out.buffer);
      } else {
        const blocks = n / 32;
        const liveBlocks = liveN / 32;
        const out = new Uint8Array(blocks * 18);
        const words = new Uint32Array(out.buffer, 0, Math.floor((liveBlocks * 18) / 4));
        for (let j = 0; j < words.length; j++) words[j] = rand();
        // Q4_0: value = (nibble − 8)·d; random nibbles have std ≈ 4.61, so d = std / 4.61.
        const d = toHalf(std / 4.61);
        for (let b = 0; b < liveBlocks; b++) { out[b * 18] = d & 255; out[b * 18 + 1] = d >>> 8; }
        for (let b = liveBlocks; b < blocks; b++) { out[b * 18] = 0; out[b * 18 + 1] = 0; }
        yield out;
      }
    }
  }
  await writeGguf(path, metadata, specs, (i) => {
    const t = layout[i];
    if (t.rows === 1) return new Uint8Array(new Float32Array(t.cols).fill(t.init === "norm" ? 1 : 0).buffer);
    if (t.name === "output.weight") {
      if (opts.role === "prm") return matrix(t.rows, t.cols, 1 / Math.sqrt(H), H);
      return matrix(t.rows, t.cols, (opts.logitStd ?? 8) / Math.sqrt(H), t.rows, Math.min(8192, t.rows), (opts.bulkStd ?? 2.5) / Math.sqrt(H));
    }
    return matrix(t.rows, t.cols, t.init === "embed" ? 1 : 1 / Math.sqrt(t.cols), t.rows);
  });
  const { statSync } = await import("node:fs");
  return { bytes: statSync(path).size, seconds: (performance.now() - t0) / 1000 };
}
