/**
 * Small seeded PRNG (mulberry32): reproducible across platforms, which Math.random is not.
 * @example const r = mulberry32(1); r() // 0.6270739405881613
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a uniform source (Box–Muller). */
export function normalSampler(uniform: () => number): () => number {
  return () => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Mix several integers into one 32-bit seed (for per-(problem, sample, step) streams). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    let x = p >>> 0;
    for (let i = 0; i < 4; i++) {
      h ^= x & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      x >>>= 8;
    }
    // high bits of numbers beyond 32 bits
    let hi = Math.floor(p / 4294967296) >>> 0;
    for (let i = 0; i < 4; i++) {
      h ^= hi & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      hi >>>= 8;
    }
  }
  return h >>> 0;
}

/**
 * xorshift32: raw 32-bit words, cheap enough to fill gigabytes of random benchmark weights.
 * @example const next = xorshift32(1); next() // 270369
 */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}
