import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertCheckpoint } from "../src/convert/convert.js";
import { GgmlType } from "../src/gguf/constants.js";
import { encodeTensor } from "../src/gguf/quant.js";
import { ggufValue, readGguf, readTensorBytes } from "../src/gguf/reader.js";
import { headOutputMatrix } from "../src/prm/head-format.js";
import { writeHfCheckpoint, type HfCheckpoint, type HfKind } from "./helpers/hf-checkpoint.js";

/**
 * Round trip through the GGUF reader: every tensor of the converted file has the expected name,
 * ne0-first shape, type and bytes, where "expected" is built here from the HF weights by an
 * independent statement of the mapping (llama.cpp names, Llama's q/k permutation written as
 * convert_hf_to_gguf's reshape/swapaxes, the PRM head per head-format.ts).
 */
const tmp = mkdtempSync(join(tmpdir(), "prm-rel-rt-"));

const RENAME: [RegExp, string][] = [
  [/^model\.embed_tokens\.weight$/, "token_embd.weight"],
  [/^model\.norm\.weight$/, "output_norm.weight"],
  [/^lm_head\.weight$/, "output.weight"],
  [/^model\.layers\.(\d+)\.input_layernorm\.weight$/, "blk.$1.attn_norm.weight"],
  [/^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, "blk.$1.ffn_norm.weight"],
  [/^model\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)$/, "blk.$1.attn_$2.$3"],
  [/^model\.layers\.(\d+)\.self_attn\.o_proj\.weight$/, "blk.$1.attn_output.weight"],
  [/^model\.layers\.(\d+)\.mlp\.(gate|up|down)_proj\.weight$/, "blk.$1.ffn_$2.weight"],
];

/** convert_hf_to_gguf's permute: view rows as (heads, 2, hd/2), swap the last two, flatten. */
function pyPermute(w: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const half = rows / heads / 2, out = new Float32Array(w.length);
  let dst = 0;
  for (let h = 0; h < heads; h++) for (let i = 0; i < half; i++) for (let j = 0; j < 2; j++) {
    const src = (h * 2 * half + j * half + i) * cols;
    out.set(w.subarray(src, src + cols), dst);
    dst += cols;
  }
  return out;
}

function expectedTensors(ck: HfCheckpoint, kind: HfKind): Map<string, { shape: number[]; data: Float32Array }> {
  const c = ck.config, out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [hf, w] of ck.weights) {
    if (hf.startsWith("score.")) continue;
    const rule = RENAME.find(([re]) => re.test(hf));
    assert.ok(rule, `no GGUF name for ${hf}`);
    const name = hf.replace(rule[0], rule[1]);
    let data = w.data;
    if (kind === "llama" && /attn_[qk]\./.test(name)) {
      const heads = name.includes("attn_q") ? c.num_attention_heads : c.num_key_value_heads;
      data = pyPermute(w.data, w.shape[0], w.shape[1] ?? 1, heads);
    }
    out.set(name, { shape: [...w.shape].reverse(), data });
  }
  if (kind === "qwen2-prm") {
    const H = c.hidden_size;
    out.set("output.weight", { shape: [H, c.vocab_size], data: headOutputMatrix(ck.weights.get("score.0.weight")!.data, H, c.vocab_size) });
  }
  return out;
}

for (const kind of ["qwen2-prm", "qwen2", "llama"] as HfKind[]) {
  for (const outtype of ["f16", "q8_0"] as const) {
    test(`${kind} → ${outtype}: every tensor's name, shape, type and bytes; hyper-parameters`, async () => {
      const ck = writeHfCheckpoint(join(tmp, `${kind}-${outtype}`), { kind, shards: 3, heads: 4, kvHeads: 2 });
      const out = join(tmp, `${kind}-${outtype}.gguf`);
      await convertCheckpoint({ input: ck.dir, outfile: out, outtype, threads: 2 });
      const g = readGguf(out);
      const want = expectedTensors(ck, kind);
      assert.deepEqual(g.tensors.map((t) => t.name).sort(), [...want.keys()].sort());
      for (const t of g.tensors) {
        const w = want.get(t.name)!;
        const type = w.shape.length === 1 ? GgmlType.F32 : outtype === "f16" ? GgmlType.F16 : GgmlType.Q8_0;
        assert.deepEqual(t.shape, w.shape, `${t.name} shape`);
        assert.equal(GgmlType[t.type], GgmlType[type], `${t.name} type`);
        assert.ok(Buffer.from(readTensorBytes(out, t)).equals(encodeTensor(w.data, type)), `${t.name} bytes`);
      }
      const a = kind === "llama" ? "llama" : "qwen2", c = ck.config;
      assert.equal(ggufValue(g, "general.architecture"), a);
      assert.equal(ggufValue(g, "general.file_type"), outtype === "f16" ? 1 : 7);
      for (const [key, v] of Object.entries({ context_length: 4096, embedding_length: c.hidden_size, block_count: c.num_hidden_layers, feed_forward_length: c.intermediate_size, "attention.head_count": 4, "attention.head_count_kv": 2 })) {
        assert.equal(ggufValue(g, `${a}.${key}`), v, key);
      }
      assert.equal(ggufValue(g, `${a}.rope.freq_base`), c.rope_theta);
      assert.equal(ggufValue(g, `${a}.attention.layer_norm_rms_epsilon`), Math.fround(c.rms_norm_eps));
      if (kind === "qwen2-prm") {
        assert.equal(ggufValue(g, "prm_rel.family"), "qwen-prm-head");
        assert.equal(ggufValue(g, "prm_rel.head.step_token"), "<extra_0>");
        assert.equal(ggufValue(g, "prm_rel.head.hidden_size"), c.hidden_size);
        for (const [key, hf] of [["b1", "score.0.bias"], ["w2", "score.2.weight"], ["b2", "score.2.bias"]]) {
          assert.deepEqual(ggufValue(g, `prm_rel.head.${key}`), [...ck.weights.get(hf)!.data], key);
        }
      }
    });
  }
}

test("Llama 3.1 rope scaling becomes rope_freqs.weight (F32, head_dim/2 factors)", async () => {
  const ropeScaling = { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 };
  const ck = writeHfCheckpoint(join(tmp, "rope"), { kind: "llama", heads: 4, kvHeads: 2, ropeScaling });
  const out = join(tmp, "rope.gguf");
  await convertCheckpoint({ input: ck.dir, outfile: out, outtype: "q8_0" });
  const t = readGguf(out).tensors.find((x) => x.name === "rope_freqs.weight")!;
  assert.deepEqual([t.shape, t.type], [[8], GgmlType.F32]);
  const f = new Float32Array(readTensorBytes(out, t).slice().buffer);
  // head_dim 16, theta 500000: wavelengths 6.3, 33, 170, … → factors 1, then smoothed, then 8.
  assert.equal(f[0], 1);
  assert.equal(f[7], 8);
  assert.ok(f.every((v, i) => i === 0 || v >= f[i - 1]), "non-decreasing");
});
