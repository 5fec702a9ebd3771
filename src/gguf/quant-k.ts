import { fromHalf, toHalf } from "./quant.js";

/**
 * ggml's reference K-quantizers (`quantize_row_q4_K_ref`, `_q5_K_ref` in ggml-quants.c; Q6_K is
 * in quant-q6k.ts), re-implemented so that the bytes match llama-quantize's output without an
 * importance matrix. Every float operation of the C code is a float32 operation, so each one is
 * rounded with Math.fround (one rounding of the exact double result equals the float32 result
 * for + − × ÷ and sqrt); the evaluation order follows the C expressions.
 */
const f = Math.fround;
const F0_1 = f(0.1);
const QK_K = 256;

/** ggml's nearest_int: round half to even via the 1.5·2^23 trick (exact for |v| < 2^22). */
export function nearestInt(v: number): number {
  return f(v + 12582912) - 12582912;
}

// Scratch for one 32-value sub-block, reused (the encoders are synchronous; each worker has its own).
const XM = new Float32Array(32);

/** x[i] − min, in float32, for the sub-block: the search below reuses it until `min` moves. */
function shifted(x: Float32Array, xo: number, n: number, min: number) {
  for (let i = 0; i < n; i++) XM[i] = f(x[xo + i] - min);
}

/**
 * make_qkx2_quants: an asymmetric (scale, min) for one sub-block, searching nstep scale tweaks
 * for the smallest weighted squared error. Writes levels to L[lo…lo+n). Returns [scale, −min].
 */
function makeQkx2(x: Float32Array, xo: number, n: number, nmax: number, w: Float32Array, L: Uint8Array, lo: number,
  aux: Uint8Array, rmin: number, rdelta: number, nstep: number): [number, number] {
  let min = x[xo], max = x[xo];
  let sumW = w[0], sumX = f(sumW * x[xo]);
  for (let i = 1; i < n; i++) {
    const xi = x[xo + i];
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    sumW = f(sumW + w[i]);
    sumX = f(sumX + f(w[i] * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lo, lo + n);
    return [0, -min];
  }
  shifted(x, xo, n, min);
  let iscale = f(nmax / f(max - min));
  let scale = f(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    let l = f(f(iscale * XM[i]) + 12582912) - 12582912; // nearestInt, inlined
    l = l < 0 ? 0 : l > nmax ? nmax : l;
    L[lo + i] = l;
    const diff = f(f(f(scale * l) + min) - x[xo + i]);
    bestError = f(bestError + f(w[i] * f(diff * diff)));
  }
  if (nstep < 1) return [scale, -min];
  for (let is = 0; is <= nstep; is++) {
    // `min` moves whenever a better fit is found, and the C code divides by the current range.
    iscale = f(f(f(rmin + f(rdelta * is)) + nmax) / f(max - min));
    let sumL = 0, sumL2 = 0, sumXL = 0;
    for (let i = 0; i < n; i++) {
      let l = f(f(iscale * XM[i]) + 12582912) - 12582912;
      l = l < 0 ? 0 : l > nmax ? nmax : l;
      aux[i] = l;
      const wl = f(w[i] * l);
      sumL = f(sumL + wl);
      sumL2 = f(sumL2 + f(wl * l));
      sumXL = f(sumXL + f(wl * x[xo + i]));
    }
    const D = f(f(sumW * sumL2) - f(sumL * sumL));
    if (D > 0) {
      let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / D);
      let thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f(sumXL / sumL2);
      }
      let cur = 0;
      for (let i = 0; i < n; i++) {
        const diff = f(f(f(thisScale * aux[i]) + thisMin) - x[xo + i]);
        cur = f(cur + f(w[i] * f(diff * diff)));
      }
      if (cur < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = aux[i];
        bestError = cur;
        scale = thisScale;
        if (thisMin !== min) shifted(x, xo, n, thisMin);
        min = thisMin;
      }
    }
  }
  return [scale, -min];
}

/** get_scale_min_k4: the 6-bit scale and min of sub-block j from the 12 packed bytes at `o`. */
export function scaleMinK4(j: number, q: Uint8Array, o: number): [number, number] {
  if (j < 4) return [q[o + j] & 63, q[o + j + 4] & 63];
  return [(q[o + j + 4] & 0xf) | ((q[o + j - 4] >> 6) << 4), (q[o + j + 4] >> 4) | ((q[o + j] >> 6) << 4)];
}

const WEIGHTS = new Float32Array(32), AUX = new Uint8Array(32), SCALES = new Float32Array(8), MINS = new Float32Array(8);

/**
 * Shared body of Q4_K and Q5_K (they differ only in nmax, the search range and the bit packing):
 * 8 sub-blocks of 32, each with a 6-bit scale and min relative to the super-block's f16 d, dmin.
 * Fills `L` with the final levels and writes d, dmin, scales at `o` in `out`.
 */
function superBlockScaleMin(x: Float32Array, xo: number, nmax: number, rmin: number, nstep: number,
  out: Uint8Array, view: DataView, o: number, L: Uint8Array) {
  const weights = WEIGHTS, aux = AUX, scales = SCALES, mins = MINS;
  let maxScale = 0, maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const so = xo + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(x[so + l] * x[so + l]));
    const avX = f(Math.sqrt(f(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = f(avX + Math.abs(x[so + l]));
    const [scale, min] = makeQkx2(x, so, 32, nmax, weights, L, 32 * j, aux, rmin, F0_1, nstep);
    scales[j] = scale;
    mins[j] = min;
    if (scale > maxScale) maxScale = scale;
    if (min > maxMin) maxMin = min;
  }
  const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
  const sc = o + 4; // scales[12] follow d and dmin
  for (let j = 0; j < 8; j++) {
    const ls = Math.min(63, nearestInt(f(invScale * scales[j])) & 0xff);
    const lm = Math.min(63, nearestInt(f(invMin * mins[j])) & 0xff);
    if (j < 4) {
      out[sc + j] = ls;
      out[sc + j + 4] = lm;
    } else {
      out[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      out[sc + j - 4] |= (ls >> 4) << 6;
      out[sc + j] |= (lm >> 4) << 6;
    }
  }
  const dh = toHalf(f(maxScale / 63)), dminh = toHalf(f(maxMin / 63));
  view.setUint16(o, dh, true);
  view.setUint16(o + 2, dminh, true);
  for (let j = 0; j < 8; j++) {
    const [s, m] = scaleMinK4(j, out, sc);
    const d = f(fromHalf(dh) * s);
    if (!d) continue;
    const dm = f(fromHalf(dminh) * m);
    for (let ii = 0; ii < 32; ii++) {
      L[32 * j + ii] = Math.max(0, Math.min(nmax, nearestInt(f(f(x[xo + 32 * j + ii] + dm) / d))));
    }
  }
}

/** Q4_K: 144-byte super-blocks of 256 (d, dmin, 12 scale bytes, 128 nibble bytes). */
export function encodeQ4_K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 144);
  const view = new DataView(out.buffer);
  const L = new Uint8Array(QK_K);
  for (let i = 0; i < nb; i++) {
    const o = i * 144;
    superBlockScaleMin(x, i * QK_K, 15, -1, 20, out, view, o, L);
    let q = o + 16;
    for (let j = 0; j < QK_K; j += 64) {
      for (let l = 0; l < 32; l++) out[q + l] = L[j + l] | (L[j + l + 32] << 4);
      q += 32;
    }
  }
  return out;
}

/** Q5_K: 176-byte super-blocks (d, dmin, 12 scale bytes, 32 high-bit bytes, 128 nibble bytes). */
export function encodeQ5_K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 176);
  const view = new DataView(out.buffer);
  const L = new Uint8Array(QK_K);
  for (let i = 0; i < nb; i++) {
    const o = i * 176;
    superBlockScaleMin(x, i * QK_K, 31, -0.5, 15, out, view, o, L);
    const qh = o + 16;
    let ql = o + 48;
    let m1 = 1, m2 = 2;
    for (let n = 0; n < QK_K; n += 64) {
      for (let j = 0; j < 32; j++) {
        let l1 = L[n + j], l2 = L[n + j + 32];
        if (l1 > 15) { l1 -= 16; out[qh + j] |= m1; }
        if (l2 > 15) { l2 -= 16; out[qh + j] |= m2; }
        out[ql + j] = l1 | (l2 << 4);
      }
      m1 <<= 2; m2 <<= 2;
      ql += 32;
    }
  }
  return out;
}
