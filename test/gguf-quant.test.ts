import { test } from "node:test";
import assert from "node:assert/strict";
import { GgmlType, ggmlBlock } from "../src/gguf/constants.js";
import { encodeTensor } from "../src/gguf/quant.js";
import { dequantizeTensor } from "../src/gguf/dequant.js";
import { mulberry32, normalSampler } from "../src/util/random.js";
import { loadGgmlOracle } from "./helpers/ggml-oracle.js";

/** Data that exercises the quantizers' corners: gaussian, heavy tails, zeros, constants, ties. */
function samples(n: number, seed: number): Float32Array {
  const rand = normalSampler(mulberry32(seed));
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const z = rand();
    const block = Math.floor(i / 256) % 6;
    x[i] =
      block === 0 ? 0.02 * z :
      block === 1 ? z * z * z :
      block === 2 ? (i % 32 < 16 ? 0 : 0.5 * z) :
      block === 3 ? 0.25 :
      block === 4 ? Math.round(z * 8) / 16 :
      (i % 7 === 0 ? 3 * z : 1e-3 * z);
  }
  return x;
}

const TYPES: [GgmlType, string][] = [
  [GgmlType.Q8_0, "quantize_row_q8_0_ref"],
  [GgmlType.Q4_0, "quantize_row_q4_0_ref"],
  [GgmlType.Q5_0, "quantize_row_q5_0_ref"],
  [GgmlType.Q5_1, "quantize_row_q5_1_ref"],
  [GgmlType.Q4_K, "quantize_row_q4_K_ref"],
  [GgmlType.Q5_K, "quantize_row_q5_K_ref"],
  [GgmlType.Q6_K, "quantize_row_q6_K_ref"],
];

const oracle = loadGgmlOracle();

for (const [type, fn] of TYPES) {
  test(`${GgmlType[type]} bytes equal ggml's ${fn} (libggml-base of node-llama-cpp)`, { skip: !oracle && "no C compiler or libggml-base.so" }, () => {
    const n = 256 * 48;
    for (const seed of [1, 2, 3]) {
      const x = samples(n, seed);
      const mine = encodeTensor(x, type);
      const theirs = oracle!.quantize(fn, x, (n / ggmlBlock[type].size) * ggmlBlock[type].bytes);
      assert.equal(mine.length, theirs.length);
      const diff = mine.findIndex((b, i) => b !== theirs[i]);
      assert.equal(diff, -1, `first differing byte ${diff} (block ${Math.floor(diff / ggmlBlock[type].bytes)})`);
      // …and the reader's dequantizer gives ggml's values bit for bit.
      const back = dequantizeTensor(mine, type, n), ref = oracle!.dequantize(fn.replace("quantize_row", "dequantize_row").replace("_ref", ""), mine, n);
      const bad = back.findIndex((v, i) => !Object.is(v, ref[i]));
      assert.equal(bad, -1, `dequantized value ${bad}: ${back[bad]} vs ggml ${ref[bad]}`);
    }
  });
}

test("dequantized values stay within each type's step of the original", () => {
  const n = 256 * 8;
  const rand = normalSampler(mulberry32(9));
  const x = Float32Array.from({ length: n }, () => rand());
  const bound: Partial<Record<GgmlType, number>> = {
    [GgmlType.F16]: 1e-3, [GgmlType.Q8_0]: 0.02, [GgmlType.Q6_K]: 0.06, [GgmlType.Q5_K]: 0.12,
    [GgmlType.Q5_0]: 0.2, [GgmlType.Q5_1]: 0.2, [GgmlType.Q4_K]: 0.25, [GgmlType.Q4_0]: 0.4,
  };
  for (const [t, b] of Object.entries(bound)) {
    const type = Number(t) as GgmlType;
    const y = dequantizeTensor(encodeTensor(x, type), type, n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i] - x[i]));
    assert.ok(worst < b!, `${GgmlType[type]}: max error ${worst} ≥ ${b}`);
  }
});
