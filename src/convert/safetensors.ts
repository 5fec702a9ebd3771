import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { UserError } from "../errors.js";
import { fromHalf } from "../gguf/quant.js";

/** The dtypes Hugging Face LLM checkpoints are stored in. */
export type SafetensorsDtype = "BF16" | "F16" | "F32";
const DTYPE_BYTES: Record<SafetensorsDtype, number> = { BF16: 2, F16: 2, F32: 4 };

/** Where one tensor lives: which file, at which absolute byte offset, in which dtype and shape. */
export interface TensorSource {
  name: string;
  file: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute offset of the first byte in `file`. */
  offset: number;
  bytes: number;
}

/**
 * Parse a safetensors header (8-byte little-endian length, then JSON) and check every tensor's
 * extent against the file's size, so a truncated download fails here, before any output exists.
 * Only the header is read, never the data.
 */
export function readSafetensorsHeader(file: string): TensorSource[] {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const name = basename(file);
    const bad = (why: string) => new UserError(`${name}: ${why} (re-download the checkpoint)`);
    if (size < 8) throw bad("truncated safetensors file (no header)");
    const head = Buffer.alloc(8);
    readSync(fd, head, 0, 8, 0);
    const headerLen = Number(head.readBigUInt64LE(0));
    if (headerLen > size - 8) throw bad(`truncated safetensors file (header says ${headerLen} bytes, file has ${size})`);
    if (headerLen > 256 * 1024 * 1024) throw bad("not a safetensors file (implausible header length)");
    const json = Buffer.alloc(headerLen);
    readSync(fd, json, 0, headerLen, 8);
    let header: Record<string, any>;
    try {
      header = JSON.parse(json.toString("utf8"));
    } catch {
      throw bad("not a safetensors file (header is not JSON)");
    }
    const dataStart = 8 + headerLen;
    const out: TensorSource[] = [];
    for (const [tensor, info] of Object.entries(header)) {
      if (tensor === "__metadata__") continue;
      const dtype = info?.dtype as SafetensorsDtype;
      if (!(dtype in DTYPE_BYTES)) {
        throw new UserError(`${name}: tensor ${tensor} has dtype ${info?.dtype}; convert reads BF16, F16 and F32 checkpoints`);
      }
      const shape: number[] = info.shape;
      const [start, end] = info.data_offsets as [number, number];
      const count = shape.reduce((a, b) => a * b, 1);
      if (end - start !== count * DTYPE_BYTES[dtype]) throw bad(`tensor ${tensor}: ${end - start} bytes do not match shape [${shape}]`);
      if (dataStart + end > size) {
        throw bad(`truncated safetensors file: tensor ${tensor} ends at byte ${dataStart + end}, the file has ${size}`);
      }
      out.push({ name: tensor, file, dtype, shape, offset: dataStart + start, bytes: end - start });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

// f16 → f32 through a table: 256 KiB once, instead of bit-fiddling every element.
let halfTable: Float32Array | undefined;
function halfToFloatTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalf(h);
  }
  return halfTable;
}

/** Decode raw little-endian tensor bytes into float32 values. */
export function decodeToF32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  // Copy into a fresh, aligned buffer: file reads may land at any byte offset.
  const aligned = raw.byteOffset % 4 === 0 ? raw : raw.slice();
  if (dtype === "F32") return new Float32Array(aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + aligned.byteLength));
  const n = raw.byteLength / 2;
  const u16 = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
  const out = new Float32Array(n);
  if (dtype === "BF16") {
    // bf16 is the top half of an f32: shifting the bits is exact.
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u32[i] = u16[i] << 16;
  } else {
    const table = halfToFloatTable();
    for (let i = 0; i < n; i++) out[i] = table[u16[i]];
  }
  return out;
}

/**
 * Read rows [r0, r1) of a tensor viewed as [rows][cols] (HF order, row-major), as float32.
 * Reads just those bytes through a file descriptor: memory stays bounded by the rows asked for.
 */
export function readRows(src: TensorSource, cols: number, r0: number, r1: number, fds: FdCache): Float32Array {
  const elem = DTYPE_BYTES[src.dtype];
  const length = (r1 - r0) * cols * elem;
  const buf = new Uint8Array(length);
  const fd = fds.get(src.file);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, src.offset + r0 * cols * elem + got);
    if (n === 0) throw new UserError(`${basename(src.file)}: truncated while reading tensor ${src.name} (re-download the checkpoint)`);
    got += n;
  }
  return decodeToF32(buf, src.dtype);
}

/** Open file descriptors, one per shard, closed together at the end. */
export class FdCache {
  private fds = new Map<string, number>();
  get(file: string): number {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      fd = openSync(file, "r");
      this.fds.set(file, fd);
    }
    return fd;
  }
  closeAll(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
