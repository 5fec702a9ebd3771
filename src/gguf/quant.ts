import { GgmlType } from "./constants.js";
import { encodeQ4_K, encodeQ5_K } from "./quant-k.js";
import { encodeQ6_K } from "./quant-q6k.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half from a float, round-to-nearest-even (what ggml's FP32→FP16 does). */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Float from IEEE half bits. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** bf16 bits → float (safetensors checkpoints are mostly bf16). */
export function fromBf16(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

function encodeF32(x: Float32Array): Uint8Array {
  return new Uint8Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength));
}

function encodeF16(x: Float32Array): Uint8Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = toHalf(x[i]);
  return new Uint8Array(out.buffer);
}

// The block quantizers below follow ggml's reference quantizers (quantize_row_*_ref) operation by
// operation in float32 (Math.fround after each step), so their bytes equal llama-quantize's.
const fr = Math.fround;

/** amax and the signed value of largest magnitude (first one wins, as in ggml) of a block. */
function blockMax(x: Float32Array, o: number): [number, number] {
  let amax = 0, max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[o + j];
    if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
  }
  return [amax, max];
}

/** C's roundf: halves away from zero. */
const roundAway = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

/** Q8_0: blocks of 32, an f16 scale d = max|x|/127 and int8 quants roundf(x/d). */
function encodeQ8_0(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 34);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const [amax] = blockMax(x, b * 32);
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    view.setUint16(b * 34, toHalf(d), true);
    for (let j = 0; j < 32; j++) view.setInt8(b * 34 + 2 + j, roundAway(fr(x[b * 32 + j] * id)));
  }
  return out;
}

/** Q4_0: blocks of 32, scale d = (value of largest magnitude)/-8, 4-bit quants offset by 8. */
function encodeQ4_0(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 18);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const [, max] = blockMax(x, b * 32);
    const d = fr(max / -8);
    const id = d ? fr(1 / d) : 0;
    view.setUint16(b * 18, toHalf(d), true);
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(15, Math.trunc(fr(fr(x[b * 32 + j] * id) + 8.5)));
      const q1 = Math.min(15, Math.trunc(fr(fr(x[b * 32 + 16 + j] * id) + 8.5)));
      out[b * 18 + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

/** Q5_0 (what llama.cpp falls back to when a Q4_K row is not a multiple of 256): d = max/-16. */
function encodeQ5_0(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 22);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const [, max] = blockMax(x, b * 32);
    const d = fr(max / -16);
    const id = d ? fr(1 / d) : 0;
    view.setUint16(b * 22, toHalf(d), true);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(31, Math.trunc(fr(fr(x[b * 32 + j] * id) + 16.5)));
      const q1 = Math.min(31, Math.trunc(fr(fr(x[b * 32 + 16 + j] * id) + 16.5)));
      out[b * 22 + 6 + j] = (q0 & 0xf) | ((q1 & 0xf) << 4);
      qh |= ((q0 & 0x10) >> 4) << j;
      qh |= ((q1 & 0x10) >> 4) << (j + 16);
    }
    view.setUint32(b * 22 + 2, qh >>> 0, true);
  }
  return out;
}

/** Q5_1 (llama.cpp's fallback for Q5_K): d = (max−min)/31 and an f16 min. */
function encodeQ5_1(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 24);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    let min = Infinity, max = -Infinity;
    for (let j = 0; j < 32; j++) {
      const v = x[b * 32 + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = fr(fr(max - min) / 31);
    const id = d ? fr(1 / d) : 0;
    view.setUint16(b * 24, toHalf(d), true);
    view.setUint16(b * 24 + 2, toHalf(min), true);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q0 = Math.trunc(fr(fr(fr(x[b * 32 + j] - min) * id) + 0.5)) & 0xff;
      const q1 = Math.trunc(fr(fr(fr(x[b * 32 + 16 + j] - min) * id) + 0.5)) & 0xff;
      out[b * 24 + 8 + j] = (q0 & 0xf) | ((q1 & 0xf) << 4);
      qh |= ((q0 & 0x10) >> 4) << j;
      qh |= ((q1 & 0x10) >> 4) << (j + 16);
    }
    view.setUint32(b * 24 + 4, qh >>> 0, true);
  }
  return out;
}

/** Encode float values as a ggml tensor of `type`. */
export function encodeTensor(x: Float32Array, type: GgmlType): Uint8Array {
  switch (type) {
    case GgmlType.F32: return encodeF32(x);
    case GgmlType.F16: return encodeF16(x);
    case GgmlType.Q8_0: return encodeQ8_0(x);
    case GgmlType.Q4_0: return encodeQ4_0(x);
    case GgmlType.Q5_0: return encodeQ5_0(x);
    case GgmlType.Q5_1: return encodeQ5_1(x);
    case GgmlType.Q4_K: return encodeQ4_K(x);
    case GgmlType.Q5_K: return encodeQ5_K(x);
    case GgmlType.Q6_K: return encodeQ6_K(x);
    default: throw new Error(`encoding to ${GgmlType[type]} is not implemented`);
  }
}
