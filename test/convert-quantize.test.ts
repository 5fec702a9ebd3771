import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertCheckpoint } from "../src/convert/convert.js";
import { FILE_TYPE, type OutType } from "../src/convert/types.js";
import { GgmlType } from "../src/gguf/constants.js";
import { readGguf, readTensorBytes } from "../src/gguf/reader.js";
import { writeHfCheckpoint, type HfCheckpointOptions } from "./helpers/hf-checkpoint.js";
import { loadGgmlOracle } from "./helpers/ggml-oracle.js";

/**
 * The quantized outputs against llama.cpp itself: convert to F32 (the checkpoint's exact values),
 * run the shipped libllama's llama_model_quantize on that, and compare with what convert writes
 * directly. Same tensor types (the Q4_K_M mix, fallbacks, 70B rule) and the same bytes.
 */
const oracle = loadGgmlOracle();
const skip = !oracle && "no C compiler or no libllama/libggml-base from node-llama-cpp";
const tmp = () => mkdtempSync(join(tmpdir(), "prm-rel-quant-"));

async function compare(opts: HfCheckpointOptions, outtype: OutType, exceptions: string[] = []) {
  const dir = tmp();
  writeHfCheckpoint(join(dir, "hf"), opts);
  const f32 = join(dir, "f32.gguf"), ours = join(dir, "ours.gguf"), ref = join(dir, "ref.gguf");
  await convertCheckpoint({ input: join(dir, "hf"), outfile: f32, outtype: "f32" });
  await convertCheckpoint({ input: join(dir, "hf"), outfile: ours, outtype, threads: 2 });
  oracle!.quantizeModel(f32, ref, FILE_TYPE[outtype]);
  const a = readGguf(ours), b = readGguf(ref);
  assert.deepEqual(a.tensors.map((t) => t.name), b.tensors.map((t) => t.name), "tensor order");
  const types: Record<string, number> = {};
  for (const [i, t] of a.tensors.entries()) {
    const u = b.tensors[i];
    types[GgmlType[t.type]] = (types[GgmlType[t.type]] ?? 0) + 1;
    if (exceptions.includes(t.name)) continue;
    assert.equal(GgmlType[t.type], GgmlType[u.type], `${t.name}: type`);
    assert.deepEqual(t.shape, u.shape, `${t.name}: shape`);
    assert.ok(Buffer.from(readTensorBytes(ours, t)).equals(readTensorBytes(ref, u)), `${t.name}: bytes differ from llama-quantize`);
  }
  if (exceptions.length === 0) assert.ok(readFileSync(ours).equals(readFileSync(ref)), "whole file byte-identical");
  return { types, a, b };
}

test("q4_k_m equals llama-quantize Q4_K_M byte for byte (llama, 256-wide rows: Q4_K/Q6_K mix)", { skip }, async () => {
  const { types } = await compare({ kind: "llama", hidden: 256, ff: 256, layers: 9, shards: 2 }, "q4_k_m");
  // 9 layers: use_more_bits picks layers 0, 3, 6, 7, 8 for attn_v and ffn_down; output.weight is Q6_K.
  assert.deepEqual(types, { F32: 19, Q6_K: 11, Q4_K: 54 });
});

test("q4_k_m equals llama-quantize with row-length fallbacks (qwen2, 64-wide rows: Q5_0/Q8_0)", { skip }, async () => {
  const { types } = await compare({ kind: "qwen2", hidden: 64, ff: 128, layers: 3 }, "q4_k_m");
  assert.equal(types.Q4_K, undefined, "no 64-wide row fits a 256-block");
  assert.ok(types.Q5_0 && types.Q8_0);
});

test("q4_0 and q8_0 equal llama-quantize Q4_0 / Q8_0 (tied qwen2: token_embd takes the output's type)", { skip }, async () => {
  await compare({ kind: "qwen2", hidden: 256, ff: 256, layers: 2, tie: true }, "q4_0");
  await compare({ kind: "qwen2", hidden: 64, ff: 128, layers: 2 }, "q8_0");
});

test("80-layer qwen2 gets llama.cpp's 70B treatment (attn_v one step wider)", { skip }, async () => {
  const { a } = await compare({ kind: "qwen2", hidden: 32, heads: 2, kvHeads: 1, ff: 32, layers: 80, shards: 3 }, "q4_k_m");
  // 32-wide rows: Q5_K falls back to Q5_1 (the 70B rule), Q6_K to Q8_0 (use_more_bits layers).
  const v = a.tensors.filter((t) => t.name.endsWith("attn_v.weight")).map((t) => GgmlType[t.type]);
  assert.ok(v.includes("Q5_1") && v.includes("Q8_0"));
});

test("PRM: everything but output.weight equals llama-quantize; output.weight stays Q8_0 (not Q6_K)", { skip }, async () => {
  const { a, b } = await compare({ kind: "qwen2-prm", hidden: 256, ff: 256, layers: 2 }, "q4_k_m", ["output.weight"]);
  const find = (f: typeof a, n: string) => f.tensors.find((t) => t.name === n)!;
  assert.equal(GgmlType[find(a, "output.weight").type], "Q8_0");
  assert.equal(GgmlType[find(b, "output.weight").type], "Q6_K");
});
