import { GgmlType } from "./constants.js";
import { fromBf16, fromHalf } from "./quant.js";
import { scaleMinK4 } from "./quant-k.js";

/**
 * Values of a ggml tensor, as ggml's dequantize_row_* computes them: used by the round-trip test
 * and to measure what each output type costs in precision.
 */
export function dequantizeTensor(bytes: Uint8Array, type: GgmlType, n: number): Float32Array {
  const out = new Float32Array(n);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = (o: number) => fromHalf(v.getUint16(o, true));
  const f = Math.fround;
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(i * 4, true);
      return out;
    case GgmlType.F16:
      for (let i = 0; i < n; i++) out[i] = h(i * 2);
      return out;
    case GgmlType.BF16:
      for (let i = 0; i < n; i++) out[i] = fromBf16(v.getUint16(i * 2, true));
      return out;
    case GgmlType.Q8_0:
      for (let b = 0; b < n / 32; b++) {
        const d = h(b * 34);
        for (let j = 0; j < 32; j++) out[b * 32 + j] = d * v.getInt8(b * 34 + 2 + j);
      }
      return out;
    case GgmlType.Q4_0:
      for (let b = 0; b < n / 32; b++) {
        const d = h(b * 18);
        for (let j = 0; j < 16; j++) {
          const q = bytes[b * 18 + 2 + j];
          out[b * 32 + j] = d * ((q & 0xf) - 8);
          out[b * 32 + 16 + j] = d * ((q >> 4) - 8);
        }
      }
      return out;
    case GgmlType.Q5_0:
    case GgmlType.Q5_1: {
      const size = type === GgmlType.Q5_0 ? 22 : 24, hoff = size - 20;
      for (let b = 0; b < n / 32; b++) {
        const o = b * size, d = h(o), m = type === GgmlType.Q5_1 ? h(o + 2) : 0;
        const qh = v.getUint32(o + hoff, true);
        for (let j = 0; j < 16; j++) {
          const q = bytes[o + hoff + 4 + j];
          const x0 = (q & 0xf) | (((qh >>> j) & 1) << 4), x1 = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
          out[b * 32 + j] = type === GgmlType.Q5_0 ? d * (x0 - 16) : f(d * x0) + m;
          out[b * 32 + 16 + j] = type === GgmlType.Q5_0 ? d * (x1 - 16) : f(d * x1) + m;
        }
      }
      return out;
    }
    case GgmlType.Q4_K:
    case GgmlType.Q5_K: {
      const size = type === GgmlType.Q4_K ? 144 : 176;
      for (let b = 0; b < n / 256; b++) {
        const o = b * size, d = h(o), dmin = h(o + 2);
        const qh = o + 16, qs = type === GgmlType.Q4_K ? o + 16 : o + 48;
        for (let j = 0; j < 256; j += 64) {
          const is = j / 32;
          const [s1, m1] = scaleMinK4(is, bytes, o + 4), [s2, m2] = scaleMinK4(is + 1, bytes, o + 4);
          const d1 = f(d * s1), mm1 = f(dmin * m1), d2 = f(d * s2), mm2 = f(dmin * m2);
          const q = qs + j / 2, u1 = 1 << is, u2 = 2 << is;
          for (let l = 0; l < 32; l++) {
            const hi1 = type === GgmlType.Q5_K && bytes[qh + l] & u1 ? 16 : 0;
            const hi2 = type === GgmlType.Q5_K && bytes[qh + l] & u2 ? 16 : 0;
            out[b * 256 + j + l] = f(d1 * ((bytes[q + l] & 0xf) + hi1)) - mm1;
            out[b * 256 + j + 32 + l] = f(d2 * ((bytes[q + l] >> 4) + hi2)) - mm2;
          }
        }
      }
      return out;
    }
    case GgmlType.Q6_K:
      for (let b = 0; b < n / 256; b++) {
        const o = b * 210, d = h(o + 208);
        for (let half = 0; half < 2; half++) {
          const ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half, y = b * 256 + 128 * half;
          for (let l = 0; l < 32; l++) {
            const is = l >> 4;
            const q1 = ((bytes[ql + l] & 0xf) | (((bytes[qh + l] >> 0) & 3) << 4)) - 32;
            const q2 = ((bytes[ql + l + 32] & 0xf) | (((bytes[qh + l] >> 2) & 3) << 4)) - 32;
            const q3 = ((bytes[ql + l] >> 4) | (((bytes[qh + l] >> 4) & 3) << 4)) - 32;
            const q4 = ((bytes[ql + l + 32] >> 4) | (((bytes[qh + l] >> 6) & 3) << 4)) - 32;
            out[y + l] = f(d * v.getInt8(sc + is)) * q1;
            out[y + l + 32] = f(d * v.getInt8(sc + is + 2)) * q2;
            out[y + l + 64] = f(d * v.getInt8(sc + is + 4)) * q3;
            out[y + l + 96] = f(d * v.getInt8(sc + is + 6)) * q4;
          }
        }
      }
      return out;
    default:
      throw new Error(`dequantizing ${GgmlType[type]} is not implemented`);
  }
}
