/**
 * A float64 forward pass with transformers' semantics over the ORIGINAL Hugging Face weights
 * (Qwen2 and Llama: RMSNorm, rotate-half RoPE with HF's inv_freq incl. Llama 3 scaling, GQA,
 * causal softmax attention, SwiGLU), written from modeling_qwen2/modeling_llama — independent of
 * llama.cpp's tensor layout, so it checks the converter's renaming, q/k permutation and rope_freqs.
 */
type Weights = Map<string, { shape: number[]; data: Float32Array }>;

export interface HfForwardResult {
  /** Final-norm hidden states, one Float64Array(H) per position. */
  hidden: Float64Array[];
  /** Logits for the positions asked for (causal LMs). */
  logits: Map<number, Float64Array>;
}

function matvec(w: { shape: number[]; data: Float32Array }, x: Float64Array, bias?: { data: Float32Array }): Float64Array {
  const [rows, cols] = w.shape;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = bias ? bias.data[r] : 0;
    const o = r * cols;
    for (let c = 0; c < cols; c++) s += w.data[o + c] * x[c];
    out[r] = s;
  }
  return out;
}

function rmsnorm(x: Float64Array, w: { data: Float32Array }, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * inv * w.data[i]);
}

/** HF's inv_freq, with `_compute_llama3_parameters` when rope_scaling says llama3. */
export function hfInvFreq(config: Record<string, any>, dim: number): Float64Array {
  const theta = config.rope_theta ?? 10000;
  const inv = Float64Array.from({ length: dim / 2 }, (_, i) => 1 / theta ** ((2 * i) / dim));
  const s = config.rope_scaling;
  if ((s?.rope_type ?? s?.type) !== "llama3") return inv;
  const lowWl = s.original_max_position_embeddings / s.low_freq_factor, highWl = s.original_max_position_embeddings / s.high_freq_factor;
  return inv.map((f) => {
    const wl = (2 * Math.PI) / f;
    const scaled = wl > lowWl ? f / s.factor : f;
    if (wl < highWl || wl > lowWl) return scaled;
    const smooth = (s.original_max_position_embeddings / wl - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    return ((1 - smooth) * scaled) / s.factor + smooth * scaled;
  });
}

/** Run the model over `ids`; logits at `logitPositions` (needs lm_head or tied embeddings). */
export function hfForward(config: Record<string, any>, weights: Weights, ids: number[], logitPositions: number[] = []): HfForwardResult {
  const W = (n: string) => { const w = weights.get(n); if (!w) throw new Error(`no ${n}`); return w; };
  const H = config.hidden_size, nHead = config.num_attention_heads, nKv = config.num_key_value_heads ?? nHead;
  const d = config.head_dim ?? H / nHead, eps = config.rms_norm_eps;
  const invFreq = hfInvFreq(config, d);
  const emb = W("model.embed_tokens.weight");
  let xs = ids.map((id) => Float64Array.from(emb.data.subarray(id * H, (id + 1) * H)));
  const rope = (v: Float64Array, head: number, pos: number) => {
    const o = head * d, half = d / 2;
    for (let i = 0; i < half; i++) {
      const a = pos * invFreq[i], c = Math.cos(a), s = Math.sin(a);
      const x1 = v[o + i], x2 = v[o + i + half];
      v[o + i] = x1 * c - x2 * s;
      v[o + i + half] = x2 * c + x1 * s;
    }
  };
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const b = (n: string) => weights.get(p + n);
    const qs: Float64Array[] = [], ks: Float64Array[] = [], vs: Float64Array[] = [];
    xs.forEach((x, pos) => {
      const h = rmsnorm(x, W(p + "input_layernorm.weight"), eps);
      const q = matvec(W(p + "self_attn.q_proj.weight"), h, b("self_attn.q_proj.bias"));
      const k = matvec(W(p + "self_attn.k_proj.weight"), h, b("self_attn.k_proj.bias"));
      for (let hd = 0; hd < nHead; hd++) rope(q, hd, pos);
      for (let hd = 0; hd < nKv; hd++) rope(k, hd, pos);
      qs.push(q); ks.push(k); vs.push(matvec(W(p + "self_attn.v_proj.weight"), h, b("self_attn.v_proj.bias")));
    });
    xs = xs.map((x, pos) => {
      const att = new Float64Array(nHead * d);
      for (let hd = 0; hd < nHead; hd++) {
        const kvh = Math.floor(hd / (nHead / nKv));
        const scores = new Float64Array(pos + 1);
        let max = -Infinity;
        for (let t = 0; t <= pos; t++) {
          let s = 0;
          for (let i = 0; i < d; i++) s += qs[pos][hd * d + i] * ks[t][kvh * d + i];
          scores[t] = s / Math.sqrt(d);
          max = Math.max(max, scores[t]);
        }
        let sum = 0;
        for (let t = 0; t <= pos; t++) { scores[t] = Math.exp(scores[t] - max); sum += scores[t]; }
        for (let t = 0; t <= pos; t++) for (let i = 0; i < d; i++) att[hd * d + i] += (scores[t] / sum) * vs[t][kvh * d + i];
      }
      const o = matvec(W(p + "self_attn.o_proj.weight"), att, b("self_attn.o_proj.bias"));
      const y = x.map((v, i) => v + o[i]);
      const h2 = rmsnorm(y, W(p + "post_attention_layernorm.weight"), eps);
      const g = matvec(W(p + "mlp.gate_proj.weight"), h2), u = matvec(W(p + "mlp.up_proj.weight"), h2);
      const act = g.map((v, i) => (v / (1 + Math.exp(-v))) * u[i]);
      const down = matvec(W(p + "mlp.down_proj.weight"), act);
      return y.map((v, i) => v + down[i]);
    });
  }
  const hidden = xs.map((x) => rmsnorm(x, W("model.norm.weight"), eps));
  const logits = new Map<number, Float64Array>();
  const head = weights.get("lm_head.weight") ?? (config.tie_word_embeddings ? emb : undefined);
  for (const pos of logitPositions) {
    if (!head) throw new Error("no LM head");
    logits.set(pos, matvec(head, hidden[pos]));
  }
  return { hidden, logits };
}

/** Qwen2.5-Math-PRM's step reward: softmax(W2·ReLU(W1·h + b1) + b2)[1]. */
export function prmReward(weights: Weights, h: Float64Array): number {
  const z = matvec(weights.get("score.0.weight")!, h, weights.get("score.0.bias")).map((v) => Math.max(0, v));
  const [a, b] = matvec(weights.get("score.2.weight")!, z, weights.get("score.2.bias"));
  return 1 / (1 + Math.exp(a - b));
}

export function softmax(x: Float64Array): Float64Array {
  const max = Math.max(...x);
  const e = x.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
