import { xorshift32 } from "../src/util/random.js";
import { GgmlType, TokenType } from "../src/gguf/constants.js";
import { toHalf } from "../src/gguf/quant.js";
import { writeGguf, type GgufTensorSpec } from "../src/gguf/writer.js";
import { SPECIAL_TOKENS, architectureMetadata, tensorLayout, tokenizerMetadata, CHATML_TEMPLATE, type ModelShape } from "../src/gguf/tiny.js";
import { byteToUnicode } from "../src/tokenizer/bytes.js";
import { kv } from "../src/gguf/writer.js";

/** Real model shapes for GPU benchmarks (random weights: speed depends on shape, not values). */
export const SHAPES: Record<string, ModelShape & { nVocab: number }> = {
  "qwen2.5-7b": { arch: "qwen2", nEmbd: 3584, nLayer: 28, nHead: 28, nHeadKv: 4, nFf: 18944, contextLength: 32768, type: GgmlType.F16, nVocab: 152064 },
  "qwen2.5-1.5b": { arch: "qwen2", nEmbd: 1536, nLayer: 28, nHead: 12, nHeadKv: 2, nFf: 8960, contextLength: 32768, type: GgmlType.F16, nVocab: 151936 },
};


/**
 * Write a random-weight GGUF of a real shape, streaming one tensor at a time. Matrices are F16
 * (small normal-ish values) or Q4_0 (random nibbles, fixed scale); norms are 1, biases 0, so
 * activations stay finite. The vocabulary is the 256 byte tokens, ChatML specials and unused
 * fillers: text tokenizes to about one token per byte, which is all a speed test needs.
 */
export async function writeShapeModel(path: string, shapeName: string, type: GgmlType.F16 | GgmlType.Q4_0, seed = 1): Promise<void> {
  const shape = { ...SHAPES[shapeName], type };
  if (!SHAPES[shapeName]) throw new Error(`unknown shape ${shapeName}; use one of ${Object.keys(SHAPES).join(", ")}`);
  const tokens = [...byteToUnicode];
  const tokenTypes: number[] = tokens.map(() => TokenType.NORMAL);
  const specialIds = {} as Record<(typeof SPECIAL_TOKENS)[number], number>;
  for (const s of SPECIAL_TOKENS) { specialIds[s] = tokens.length; tokens.push(s); tokenTypes.push(TokenType.CONTROL); }
  while (tokens.length < shape.nVocab) { tokens.push(`[UNUSED${tokens.length}]`); tokenTypes.push(TokenType.UNUSED); }
  const layout = tensorLayout(shape, shape.nVocab);
  const specs: GgufTensorSpec[] = layout.map((t) => ({
    name: t.name,
    shape: t.rows === 1 ? [t.cols] : [t.cols, t.rows],
    type: t.rows === 1 ? GgmlType.F32 : type,
  }));
  const rand = xorshift32(seed);
  const metadata = {
    ...architectureMetadata(shape),
    "general.name": kv.str(`prm-rel bench ${shapeName} random`),
    ...tokenizerMetadata(shape.arch, tokens, tokenTypes, [], specialIds, CHATML_TEMPLATE),
  };
  await writeGguf(path, metadata, specs, (i) => {
    const t = layout[i];
    const n = t.rows * t.cols;
    if (t.rows === 1) return new Uint8Array(new Float32Array(n).fill(t.init === "norm" ? 1 : 0).buffer);
    if (type === GgmlType.F16) {
      const std = t.init === "embed" ? 1 : 1 / Math.sqrt(t.cols);
      // A handful of precomputed halves indexed by random bits: fast and roughly uniform in ±1.7σ.
      const table = Uint16Array.from({ length: 256 }, (_, k) => toHalf(((k - 127.5) / 73.6) * std));
      const out = new Uint16Array(n);
      for (let j = 0; j < n; j += 4) {
        const r = rand();
        out[j] = table[r & 255]; out[j + 1] = table[(r >>> 8) & 255]; out[j + 2] = table[(r >>> 16) & 255]; out[j + 3] = table[r >>> 24];
      }
      return new Uint8Array(out.buffer);
    }
    const blocks = n / 32;
    const out = new Uint8Array(blocks * 18);
    const d = toHalf((t.init === "embed" ? 1 : 1 / Math.sqrt(t.cols)) / 4.6);
    const words = new Uint32Array(out.buffer, 0, Math.floor(out.length / 4));
    for (let j = 0; j < words.length; j++) words[j] = rand();
    for (let b = 0; b < blocks; b++) { out[b * 18] = d & 255; out[b * 18 + 1] = d >>> 8; }
    return out;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, shapeName = "qwen2.5-7b", typeName = "f16"] = process.argv.slice(2);
  if (!path) { console.error("usage: node dist/bench/shape-model.js OUT.gguf [qwen2.5-7b|qwen2.5-1.5b] [f16|q4_0]"); process.exit(2); }
  const t0 = Date.now();
  await writeShapeModel(path, shapeName, typeName === "q4_0" ? GgmlType.Q4_0 : GgmlType.F16);
  console.error(`wrote ${path} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
