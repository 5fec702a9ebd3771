import { GgmlType } from "./constants.js";

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

/** Q8_0: blocks of 32, an f16 scale d = max|x|/127 and int8 quants (ggml's reference quantizer). */
function encodeQ8_0(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 34);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    view.setUint16(b * 34, toHalf(d), true);
    for (let j = 0; j < 32; j++) view.setInt8(b * 34 + 2 + j, Math.round(x[b * 32 + j] * id));
  }
  return out;
}

/** Q4_0: blocks of 32, scale d = (value of largest magnitude)/-8, 4-bit quants offset by 8. */
function encodeQ4_0(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 18);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    let amax = 0, max = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[b * 32 + j];
      if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
    }
    const d = max / -8;
    const id = d ? 1 / d : 0;
    view.setUint16(b * 18, toHalf(d), true);
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(15, Math.trunc(x[b * 32 + j] * id + 8.5));
      const q1 = Math.min(15, Math.trunc(x[b * 32 + 16 + j] * id + 8.5));
      out[b * 18 + 2 + j] = q0 | (q1 << 4);
    }
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
    default: throw new Error(`encoding to ${GgmlType[type]} is not implemented`);
  }
}
