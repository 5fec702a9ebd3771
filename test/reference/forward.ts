/**
 * An independent float64 forward pass of the qwen2 / llama decoder, as llama.cpp runs the GGUF.
 *
 * It reads the weights exactly as `makeTinyModel` keeps them (GGUF tensor names, HF row-major
 * [out][in] Float32Arrays) and shares no code with node-llama-cpp or the scoring engine, so tests
 * (and the converter's tests) can check llama.cpp's numbers and anything built on them.
 *
 * What it computes, per layer: RMSNorm → Q/K/V (+ biases for qwen2) → RoPE → causal GQA
 * attention → output projection → residual; RMSNorm → SwiGLU FFN → residual. Then the final
 * RMSNorm gives the hidden state h of each position, and logits = output.weight · h.
 *
 * RoPE follows llama.cpp's rope type per architecture: qwen2 is NEOX (dimension i rotates with
 * i + d/2), llama is NORM (dimension 2i rotates with 2i+1). Note that llama.cpp's converter
 * permutes the Q/K rows of HF llama checkpoints so that NORM rope on the GGUF equals HF's
 * rotate-half; this reference is defined on the GGUF tensors, so it uses NORM for llama.
 *
 * Signature (stable; other helpers reuse it):
 *   referenceForward(model, tokens) → { hidden: Float64Array[]; logits(pos): Float64Array }
 */

/** The parts of a `TinyModel` this pass needs (structurally compatible with `TinyModel`). */
export interface ReferenceModel {
  options: { arch: "qwen2" | "llama"; nEmbd: number; nLayer: number; nHead: number; nHeadKv: number; nFf: number };
  weights: Map<string, { shape: number[]; data: Float32Array }>;
}

export interface ReferenceOptions {
  /** RMSNorm epsilon (the tiny models write 1e-6). */
  eps?: number;
  /** RoPE frequency base (the tiny models write 10000). */
  ropeBase?: number;
}

export interface ReferenceResult {
  /** Final-norm hidden state of each position (length = tokens.length, each nEmbd long). */
  hidden: Float64Array[];
  /** output.weight · hidden[pos], the next-token logits at `pos` (computed on demand). */
  logits(pos: number): Float64Array;
}

function weight(model: ReferenceModel, name: string): Float32Array {
  const w = model.weights.get(name);
  if (!w) throw new Error(`reference forward: missing tensor ${name}`);
  return w.data;
}

/** y = W·x (+ b), W row-major [rows][cols]. */
export function matVec(w: ArrayLike<number>, x: ArrayLike<number>, rows: number, cols: number, bias?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = bias ? bias[r] : 0;
    const off = r * cols;
    for (let c = 0; c < cols; c++) s += w[off + c] * x[c];
    y[r] = s;
  }
  return y;
}

function rmsNorm(x: Float64Array, g: Float32Array, eps: number): Float64Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const scale = 1 / Math.sqrt(ss / x.length + eps);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] * scale * g[i];
  return y;
}

/** Rotate one head's vector (length d, at offset `off`) in place for position `pos`. */
function rope(v: Float64Array, off: number, d: number, pos: number, base: number, neox: boolean): void {
  for (let i = 0; i < d / 2; i++) {
    const theta = pos * Math.pow(base, (-2 * i) / d);
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const a = neox ? off + i : off + 2 * i;
    const b = neox ? off + i + d / 2 : off + 2 * i + 1;
    const x0 = v[a];
    const x1 = v[b];
    v[a] = x0 * cos - x1 * sin;
    v[b] = x0 * sin + x1 * cos;
  }
}

/** Run the decoder over `tokens` (ids) and return every position's final hidden state. */
export function referenceForward(model: ReferenceModel, tokens: readonly number[], opts: ReferenceOptions = {}): ReferenceResult {
  const { arch, nEmbd, nLayer, nHead, nHeadKv, nFf } = model.options;
  const eps = opts.eps ?? 1e-6;
  const base = opts.ropeBase ?? 10000;
  const neox = arch === "qwen2";
  const d = nEmbd / nHead;
  const kvDim = nHeadKv * d;
  const group = nHead / nHeadKv;
  const T = tokens.length;
  const embd = weight(model, "token_embd.weight");
  let xs: Float64Array[] = tokens.map((t) => Float64Array.from(embd.subarray(t * nEmbd, (t + 1) * nEmbd)));

  for (let l = 0; l < nLayer; l++) {
    const p = `blk.${l}.`;
    const bias = (name: string) => (arch === "qwen2" ? weight(model, p + name) : undefined);
    const qs: Float64Array[] = [];
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const xn = rmsNorm(xs[t], weight(model, p + "attn_norm.weight"), eps);
      const q = matVec(weight(model, p + "attn_q.weight"), xn, nEmbd, nEmbd, bias("attn_q.bias"));
      const k = matVec(weight(model, p + "attn_k.weight"), xn, kvDim, nEmbd, bias("attn_k.bias"));
      const v = matVec(weight(model, p + "attn_v.weight"), xn, kvDim, nEmbd, bias("attn_v.bias"));
      for (let h = 0; h < nHead; h++) rope(q, h * d, d, t, base, neox);
      for (let h = 0; h < nHeadKv; h++) rope(k, h * d, d, t, base, neox);
      qs.push(q);
      ks.push(k);
      vs.push(v);
    }
    const next: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const attn = new Float64Array(nEmbd);
      for (let h = 0; h < nHead; h++) {
        const kvOff = Math.floor(h / group) * d;
        const scores = new Float64Array(t + 1);
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < d; i++) dot += qs[t][h * d + i] * ks[s][kvOff + i];
          scores[s] = dot / Math.sqrt(d);
          if (scores[s] > max) max = scores[s];
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) sum += scores[s] = Math.exp(scores[s] - max);
        for (let s = 0; s <= t; s++) {
          const w = scores[s] / sum;
          for (let i = 0; i < d; i++) attn[h * d + i] += w * vs[s][kvOff + i];
        }
      }
      const o = matVec(weight(model, p + "attn_output.weight"), attn, nEmbd, nEmbd);
      const x = xs[t].map((v, i) => v + o[i]);
      const xn = rmsNorm(x, weight(model, p + "ffn_norm.weight"), eps);
      const g = matVec(weight(model, p + "ffn_gate.weight"), xn, nFf, nEmbd);
      const u = matVec(weight(model, p + "ffn_up.weight"), xn, nFf, nEmbd);
      const act = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]);
      const down = matVec(weight(model, p + "ffn_down.weight"), act, nEmbd, nFf);
      next.push(x.map((v, i) => v + down[i]));
    }
    xs = next;
  }
  const hidden = xs.map((x) => rmsNorm(x, weight(model, "output_norm.weight"), eps));
  const out = weight(model, "output.weight");
  const nVocab = out.length / nEmbd;
  return { hidden, logits: (pos) => matVec(out, hidden[pos], nVocab, nEmbd) };
}

/** Softmax of a vector in float64. */
export function softmax(x: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  const y = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += y[i] = Math.exp(x[i] - max);
  for (let i = 0; i < x.length; i++) y[i] /= sum;
  return y;
}
