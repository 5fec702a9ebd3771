import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgmlType, GgufValueType } from "../src/gguf/constants.js";
import { dequantizeTensor } from "../src/gguf/dequant.js";
import { encodeTensor } from "../src/gguf/quant.js";
import { readGguf, readTensorBytes } from "../src/gguf/reader.js";
import { kv, writeGguf, type GgufValue } from "../src/gguf/writer.js";

const tmp = mkdtempSync(join(tmpdir(), "prm-rel-gguf-"));

test("writer → reader: every metadata value type, tensors whole and chunked, offsets aligned", async () => {
  const metadata: Record<string, GgufValue> = {
    "t.u8": { type: GgufValueType.UINT8, value: 200 },
    "t.i8": { type: GgufValueType.INT8, value: -100 },
    "t.u16": { type: GgufValueType.UINT16, value: 60000 },
    "t.i16": { type: GgufValueType.INT16, value: -30000 },
    "t.u32": kv.u32(4_000_000_000),
    "t.i32": kv.i32(-2_000_000_000),
    "t.f32": kv.f32(0.1),
    "t.bool": kv.bool(true),
    "t.str": kv.str("naïve ✓"),
    "t.u64": { type: GgufValueType.UINT64, value: 2n ** 40n },
    "t.i64": { type: GgufValueType.INT64, value: -(2n ** 40n) },
    "t.f64": { type: GgufValueType.FLOAT64, value: Math.PI },
    "t.strs": kv.strs(["a", "", "Ġthe"]),
    "t.i32s": kv.i32s([1, -2, 3]),
    "t.f32s": kv.f32s([0.5, -1.25]),
    "t.bools": { type: GgufValueType.ARRAY, itemType: GgufValueType.BOOL, value: [true, false] },
  };
  const x = Float32Array.from({ length: 256 * 3 }, (_, i) => Math.sin(i) * 2);
  const tensors = [
    { name: "a", shape: [256, 3], type: GgmlType.Q4_K },
    { name: "b", shape: [7], type: GgmlType.F32 },
    { name: "c", shape: [256, 3], type: GgmlType.Q6_K },
    { name: "d", shape: [32, 24], type: GgmlType.Q8_0 },
  ];
  const data = [encodeTensor(x, GgmlType.Q4_K), encodeTensor(x.subarray(0, 7), GgmlType.F32), encodeTensor(x, GgmlType.Q6_K), encodeTensor(x, GgmlType.Q8_0)];
  const path = join(tmp, "all.gguf");
  const progress: number[] = [];
  // Tensor c arrives as an async stream of row chunks, d as a sync iterable.
  await writeGguf(path, metadata, tensors, (i) =>
    i === 2 ? (async function* () { for (let r = 0; r < 3; r++) yield data[2].subarray(r * 210, (r + 1) * 210); })()
      : i === 3 ? [data[3].subarray(0, 340), data[3].subarray(340)] : data[i], (d) => progress.push(d));
  const g = readGguf(path);
  assert.equal(g.version, 3);
  for (const [key, v] of Object.entries(metadata)) {
    const got = g.metadata.get(key)!;
    assert.equal(got.type, v.type, key);
    const want = v.type === GgufValueType.FLOAT32 ? Math.fround(v.value as number) : v.value;
    assert.deepEqual(got.value, want, key);
  }
  assert.deepEqual(g.tensors.map((t) => [t.name, t.shape, t.type]), tensors.map((t) => [t.name, t.shape, t.type]));
  for (const [i, t] of g.tensors.entries()) {
    assert.equal(t.offset % 32, 0, "aligned");
    assert.ok(Buffer.from(readTensorBytes(path, t)).equals(data[i]), t.name);
  }
  assert.ok(progress.length >= 6 && progress.every((v, i) => i === 0 || v > progress[i - 1]), "progress per chunk");
  const back = dequantizeTensor(readTensorBytes(path, g.tensors[3]), GgmlType.Q8_0, 768);
  assert.ok(back.every((v, i) => Math.abs(v - x[i]) < 0.02));
});

test("a tensor stream with the wrong byte count fails and leaves no file behind", async () => {
  const path = join(tmp, "bad.gguf");
  const spec = [{ name: "w", shape: [32, 2], type: GgmlType.F32 }];
  await assert.rejects(writeGguf(path, {}, spec, () => [new Uint8Array(128), new Uint8Array(192)]), /more than the 256 bytes/);
  await assert.rejects(writeGguf(path, {}, spec, () => [new Uint8Array(128)]), /got 128 bytes/);
  assert.equal(existsSync(path), false);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith(".bad.gguf")), [], "temp file removed");
});

test("the reader agrees with llama.cpp's own GGUF parser (node-llama-cpp readGgufFileInfo)", async () => {
  const path = join(tmp, "all.gguf");
  const { readGgufFileInfo } = await import("node-llama-cpp");
  const info = await readGgufFileInfo(path, { readTensorInfo: true });
  const mine = readGguf(path);
  assert.deepEqual(info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType]), mine.tensors.map((t) => [t.name, t.shape, t.type]));
  assert.equal((info.metadata as any).t.str, "naïve ✓");
});
