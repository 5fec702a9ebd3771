import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { GGUF_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GgmlType, GgufValueType, tensorBytes } from "./constants.js";
import { tempPathFor } from "../util/atomic.js";

/** A metadata value with its GGUF type; arrays carry their element type. */
export type GgufValue =
  | { type: GgufValueType.STRING; value: string }
  | { type: GgufValueType.BOOL; value: boolean }
  | { type: Exclude<GgufValueType, GgufValueType.STRING | GgufValueType.BOOL | GgufValueType.ARRAY>; value: number | bigint }
  | { type: GgufValueType.ARRAY; itemType: GgufValueType; value: readonly (string | number | boolean | bigint)[] };

/** Shorthands for the metadata types models use. */
export const kv = {
  str: (value: string): GgufValue => ({ type: GgufValueType.STRING, value }),
  u32: (value: number): GgufValue => ({ type: GgufValueType.UINT32, value }),
  i32: (value: number): GgufValue => ({ type: GgufValueType.INT32, value }),
  f32: (value: number): GgufValue => ({ type: GgufValueType.FLOAT32, value }),
  bool: (value: boolean): GgufValue => ({ type: GgufValueType.BOOL, value }),
  strs: (value: readonly string[]): GgufValue => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value }),
  i32s: (value: readonly number[]): GgufValue => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.INT32, value }),
  f32s: (value: readonly number[]): GgufValue => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.FLOAT32, value }),
};

/** A tensor to write: shape is ne0-first (ggml order: shape[0] is the contiguous dimension). */
export interface GgufTensorSpec {
  name: string;
  shape: readonly number[];
  type: GgmlType;
}

/** Grows a byte buffer for the header, which is small next to the tensor data. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private ensure(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number) { this.ensure(4); this.buf.writeUInt32LE(v, this.length); this.length += 4; }
  u64(v: number | bigint) { this.ensure(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
  bytes(b: Uint8Array) { this.ensure(b.length); this.buf.set(b, this.length); this.length += b.length; }
  str(s: string) { const b = Buffer.from(s, "utf8"); this.u64(b.length); this.bytes(b); }
  scalar(type: GgufValueType, v: string | number | boolean | bigint) {
    this.ensure(8);
    const b = this.buf, o = this.length;
    switch (type) {
      case GgufValueType.UINT8: b.writeUInt8(Number(v), o); this.length += 1; break;
      case GgufValueType.INT8: b.writeInt8(Number(v), o); this.length += 1; break;
      case GgufValueType.UINT16: b.writeUInt16LE(Number(v), o); this.length += 2; break;
      case GgufValueType.INT16: b.writeInt16LE(Number(v), o); this.length += 2; break;
      case GgufValueType.UINT32: b.writeUInt32LE(Number(v), o); this.length += 4; break;
      case GgufValueType.INT32: b.writeInt32LE(Number(v), o); this.length += 4; break;
      case GgufValueType.FLOAT32: b.writeFloatLE(Number(v), o); this.length += 4; break;
      case GgufValueType.BOOL: b.writeUInt8(v ? 1 : 0, o); this.length += 1; break;
      case GgufValueType.UINT64: b.writeBigUInt64LE(BigInt(v), o); this.length += 8; break;
      case GgufValueType.INT64: b.writeBigInt64LE(BigInt(v), o); this.length += 8; break;
      case GgufValueType.FLOAT64: b.writeDoubleLE(Number(v), o); this.length += 8; break;
      case GgufValueType.STRING: this.str(String(v)); break;
      default: throw new Error(`cannot write GGUF value type ${type} as a scalar`);
    }
  }
  pad(alignment: number) { const n = (alignment - (this.length % alignment)) % alignment; this.bytes(new Uint8Array(n)); }
  done() { return this.buf.subarray(0, this.length); }
}

function encodeHeader(metadata: Record<string, GgufValue>, tensors: readonly GgufTensorSpec[]): { header: Buffer; offsets: number[]; sizes: number[] } {
  const h = new ByteSink();
  h.u32(GGUF_MAGIC);
  h.u32(GGUF_VERSION);
  h.u64(tensors.length);
  const entries = Object.entries({ "general.alignment": kv.u32(GGUF_ALIGNMENT), ...metadata });
  h.u64(entries.length);
  for (const [key, val] of entries) {
    h.str(key);
    h.u32(val.type);
    if (val.type === GgufValueType.ARRAY) {
      h.u32(val.itemType);
      h.u64(val.value.length);
      for (const item of val.value) h.scalar(val.itemType, item);
    } else h.scalar(val.type, val.value);
  }
  const offsets: number[] = [], sizes: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    const size = tensorBytes(t.type, t.shape.reduce((a, b) => a * b, 1));
    h.str(t.name);
    h.u32(t.shape.length);
    for (const d of t.shape) h.u64(d);
    h.u32(t.type);
    h.u64(offset);
    offsets.push(offset);
    sizes.push(size);
    offset += size + ((GGUF_ALIGNMENT - (size % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT);
  }
  h.pad(GGUF_ALIGNMENT);
  return { header: h.done(), offsets, sizes };
}

/** One tensor's bytes: whole, or as consecutive chunks (so huge tensors never sit in memory). */
export type GgufTensorData = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * Write a GGUF v3 file, streaming: `data(i)` is asked for one tensor's bytes at a time (whole or
 * in chunks), so memory stays bounded by the largest tensor, or by one chunk. The file appears
 * under its name only when complete (temp file + rename); on any error the temp file is removed.
 */
export async function writeGguf(
  path: string,
  metadata: Record<string, GgufValue>,
  tensors: readonly GgufTensorSpec[],
  data: (index: number) => GgufTensorData | Promise<GgufTensorData>,
  onProgress?: (bytesDone: number, bytesTotal: number) => void,
): Promise<void> {
  const { header, sizes } = encodeHeader(metadata, tensors);
  const total = header.length + sizes.reduce((a, b) => a + b, 0);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, header);
    let done = header.length;
    const zeros = new Uint8Array(GGUF_ALIGNMENT);
    for (let i = 0; i < tensors.length; i++) {
      const source = await data(i);
      const chunks = source instanceof Uint8Array ? [source] : source;
      let written = 0;
      for await (const bytes of chunks) {
        if (written + bytes.length > sizes[i]) {
          throw new Error(`tensor ${tensors[i].name}: got more than the ${sizes[i]} bytes its shape and type need`);
        }
        writeSync(fd, bytes);
        written += bytes.length;
        done += bytes.length;
        onProgress?.(done, total);
      }
      if (written !== sizes[i]) {
        throw new Error(`tensor ${tensors[i].name}: got ${written} bytes, its shape and type need ${sizes[i]}`);
      }
      const pad = (GGUF_ALIGNMENT - (written % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;
      if (pad) writeSync(fd, zeros, 0, pad);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (error) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw error;
  }
}
