import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { GGUF_MAGIC, GgmlType, GgufValueType, tensorBytes } from "./constants.js";

export type GgufScalar = string | number | boolean | bigint;
export type GgufReadValue = GgufScalar | GgufReadValue[];

export interface GgufTensorInfo {
  name: string;
  /** ne0-first, as stored. */
  shape: number[];
  type: GgmlType;
  /** Absolute byte offset of the tensor's data in the file. */
  offset: number;
  bytes: number;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, { type: GgufValueType; itemType?: GgufValueType; value: GgufReadValue }>;
  tensors: GgufTensorInfo[];
  alignment: number;
  dataOffset: number;
  fileSize: number;
}

/** Reads the header lazily through a file descriptor: the tensor data is never loaded here. */
class Cursor {
  private buf = Buffer.alloc(1 << 20);
  private start = 0; // file offset of buf[0]
  private end = 0; // bytes of buf that are valid
  pos = 0;
  constructor(private fd: number, private size: number) {}
  private need(n: number) {
    if (this.pos + n <= this.start + this.end) return;
    if (this.pos + n > this.size) throw new Error(`GGUF header runs past the end of the file (byte ${this.pos + n} of ${this.size})`);
    if (n > this.buf.length) this.buf = Buffer.alloc(Math.max(n, this.buf.length * 2));
    this.start = this.pos;
    this.end = readSync(this.fd, this.buf, 0, Math.min(this.buf.length, this.size - this.pos), this.pos);
  }
  private at(n: number) { this.need(n); const o = this.pos - this.start; this.pos += n; return o; }
  u8() { return this.buf.readUInt8(this.at(1)); }
  i8() { return this.buf.readInt8(this.at(1)); }
  u16() { return this.buf.readUInt16LE(this.at(2)); }
  i16() { return this.buf.readInt16LE(this.at(2)); }
  u32() { return this.buf.readUInt32LE(this.at(4)); }
  i32() { return this.buf.readInt32LE(this.at(4)); }
  f32() { return this.buf.readFloatLE(this.at(4)); }
  f64() { return this.buf.readDoubleLE(this.at(8)); }
  u64() { return this.buf.readBigUInt64LE(this.at(8)); }
  i64() { return this.buf.readBigInt64LE(this.at(8)); }
  str() { const n = Number(this.u64()); const o = this.at(n); return this.buf.toString("utf8", o, o + n); }
}

function readValue(c: Cursor, type: GgufValueType): GgufReadValue {
  switch (type) {
    case GgufValueType.UINT8: return c.u8();
    case GgufValueType.INT8: return c.i8();
    case GgufValueType.UINT16: return c.u16();
    case GgufValueType.INT16: return c.i16();
    case GgufValueType.UINT32: return c.u32();
    case GgufValueType.INT32: return c.i32();
    case GgufValueType.FLOAT32: return c.f32();
    case GgufValueType.BOOL: return c.u8() !== 0;
    case GgufValueType.STRING: return c.str();
    case GgufValueType.UINT64: return c.u64();
    case GgufValueType.INT64: return c.i64();
    case GgufValueType.FLOAT64: return c.f64();
    case GgufValueType.ARRAY: {
      const itemType = c.u32() as GgufValueType;
      const n = Number(c.u64());
      const out: GgufReadValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(c, itemType);
      return out;
    }
    default: throw new Error(`unknown GGUF value type ${type}`);
  }
}

/**
 * Parse a GGUF file's header: metadata (all value types, nested arrays) and tensor infos with
 * absolute offsets. Checks that every tensor lies inside the file.
 */
export function readGguf(path: string): GgufFile {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const c = new Cursor(fd, size);
    if (c.u32() !== GGUF_MAGIC) throw new Error(`${path} is not a GGUF file`);
    const version = c.u32();
    if (version < 2 || version > 3) throw new Error(`${path}: GGUF version ${version} is not supported`);
    const nTensors = Number(c.u64()), nKv = Number(c.u64());
    const metadata: GgufFile["metadata"] = new Map();
    for (let i = 0; i < nKv; i++) {
      const key = c.str();
      const type = c.u32() as GgufValueType;
      if (type === GgufValueType.ARRAY) {
        const save = c.pos;
        const itemType = c.u32() as GgufValueType;
        c.pos = save;
        metadata.set(key, { type, itemType, value: readValue(c, type) });
      } else metadata.set(key, { type, value: readValue(c, type) });
    }
    const infos: Omit<GgufTensorInfo, "offset" | "bytes">[] = [];
    const rel: number[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = c.str();
      const nDims = c.u32();
      const shape: number[] = [];
      for (let d = 0; d < nDims; d++) shape.push(Number(c.u64()));
      const type = c.u32() as GgmlType;
      rel.push(Number(c.u64()));
      infos.push({ name, shape, type });
    }
    const alignment = Number(metadata.get("general.alignment")?.value ?? 32);
    const dataOffset = Math.ceil(c.pos / alignment) * alignment;
    const tensors = infos.map((t, i) => {
      const bytes = tensorBytes(t.type, t.shape.reduce((a, b) => a * b, 1));
      const offset = dataOffset + rel[i];
      if (offset + bytes > size) throw new Error(`${path}: tensor ${t.name} extends past the end of the file`);
      return { ...t, offset, bytes };
    });
    return { version, metadata, tensors, alignment, dataOffset, fileSize: size };
  } finally {
    closeSync(fd);
  }
}

/** The raw bytes of one tensor (read at its offset; nothing else of the file is loaded). */
export function readTensorBytes(path: string, tensor: GgufTensorInfo): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(tensor.bytes);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, tensor.offset + got);
      if (n === 0) throw new Error(`unexpected end of file in tensor ${tensor.name}`);
      got += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** A metadata value by key (undefined when absent). */
export function ggufValue(file: GgufFile, key: string): GgufReadValue | undefined {
  return file.metadata.get(key)?.value;
}
