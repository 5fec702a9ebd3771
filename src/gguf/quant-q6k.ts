import { fromHalf, toHalf } from "./quant.js";
import { nearestInt } from "./quant-k.js";

/**
 * ggml's reference Q6_K quantizer (`quantize_row_q6_K_ref`, with `make_qx_quants`), float32 step
 * for step like quant-k.ts: bytes equal llama-quantize's without an importance matrix.
 */
const f = Math.fround;
const F0_1 = f(0.1);
const GROUP_MAX_EPS = f(1e-15);
const QK_K = 256;

/** make_qx_quants with rmse_type 1 (weights x²), as Q6_K calls it: symmetric levels −nmax…nmax−1. */
function makeQx(x: Float32Array, xo: number, n: number, nmax: number, L: Int8Array, lo: number): number {
  let max = 0, amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]);
    if (ax > amax) { amax = ax; max = x[xo + i]; }
  }
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  const level = (iscale: number, v: number) => Math.max(-nmax, Math.min(nmax - 1, nearestInt(f(iscale * v))));
  let iscale = f(-nmax / max);
  let sumlx = 0, suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i], l = level(iscale, v);
    L[lo + i] = l + nmax;
    const w = f(v * v);
    sumlx = f(sumlx + f(f(w * v) * l));
    suml2 = f(suml2 + f(f(w * l) * l));
  }
  let scale = suml2 ? f(sumlx / suml2) : 0;
  let best = f(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f(-f(nmax + f(F0_1 * is)) / max);
    sumlx = 0; suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i], l = level(iscale, v), w = f(v * v);
      sumlx = f(sumlx + f(f(w * v) * l));
      suml2 = f(suml2 + f(f(w * l) * l));
    }
    if (suml2 > 0 && f(sumlx * sumlx) > f(best * suml2)) {
      for (let i = 0; i < n; i++) L[lo + i] = nmax + level(iscale, x[xo + i]);
      scale = f(sumlx / suml2);
      best = f(scale * sumlx);
    }
  }
  return scale;
}

/** Q6_K: 210-byte super-blocks (128 low-nibble bytes, 64 high-bit bytes, 16 int8 scales, f16 d). */
export function encodeQ6_K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 210);
  const view = new DataView(out.buffer);
  const L = new Int8Array(QK_K);
  const scales = new Float32Array(16);
  for (let i = 0; i < nb; i++) {
    const o = i * 210, xo = i * QK_K;
    let maxScale = 0, maxAbs = 0;
    for (let ib = 0; ib < 16; ib++) {
      const s = makeQx(x, xo + 16 * ib, 16, 32, L, 16 * ib);
      scales[ib] = s;
      if (Math.abs(s) > maxAbs) { maxAbs = Math.abs(s); maxScale = s; }
    }
    if (maxAbs < GROUP_MAX_EPS) continue; // an all-zero block: every byte 0, d = +0
    const iscale = f(-128 / maxScale);
    const dh = toHalf(f(1 / iscale));
    view.setUint16(o + 208, dh, true);
    for (let ib = 0; ib < 16; ib++) view.setInt8(o + 192 + ib, (Math.min(127, nearestInt(f(iscale * scales[ib]))) << 24) >> 24);
    for (let j = 0; j < 16; j++) {
      const d = f(fromHalf(dh) * view.getInt8(o + 192 + j));
      if (!d) continue;
      for (let ii = 0; ii < 16; ii++) {
        L[16 * j + ii] = Math.max(-32, Math.min(31, nearestInt(f(x[xo + 16 * j + ii] / d)))) + 32;
      }
    }
    let ql = o, qh = o + 128;
    for (let j = 0; j < QK_K; j += 128) {
      for (let l = 0; l < 32; l++) {
        const a = L[j + l], b = L[j + l + 32], c = L[j + l + 64], e = L[j + l + 96];
        out[ql + l] = (a & 0xf) | ((c & 0xf) << 4);
        out[ql + l + 32] = (b & 0xf) | ((e & 0xf) << 4);
        out[qh + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
      }
      ql += 64;
      qh += 32;
    }
  }
  return out;
}
