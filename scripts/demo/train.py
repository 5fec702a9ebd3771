#!/usr/bin/env python3
"""Train prm-rel's embedded demo models: a tiny Qwen2 generator and a tiny Qwen2.5-Math-PRM-shaped PRM.

1. Generator (Qwen2ForCausalLM, ~2.7 M parameters) learns the synthetic arithmetic solutions of
   scripts/demo/dataset.py in the generator's real chat format (system prompt, ChatML). While it
   trains, its accuracy at temperature 0.8 / top-p 0.9 on held-out problems is measured often; the
   snapshot whose accuracy is nearest 50% (within 35-65%) is kept, so samples vary in correctness.
2. PRM data: that generator samples solutions to fresh problems; every "\\n\\n" step is labelled
   correct until the first step that leaves the reference computation (dataset.label_steps).
3. PRM (Qwen2 backbone + score.0 Linear(H,H) -> ReLU -> score.2 Linear(H,2), read at each
   <extra_0>), initialised from the last generator state, learns those labels on the exact Qwen PRM
   input: system prompt, question, steps joined by <extra_0> with a trailing <extra_0>, ChatML, no
   generation prompt.
4. Both are written as Hugging Face checkpoints (config.json, model.safetensors, tokenizer files)
   and checked against transformers / tokenizers / safetensors where those are installed.

The model code is a self-contained Qwen2 (the same maths and weight names as transformers'), so the
script runs on any torch >= 1.13 and does not depend on a transformers version. Every random draw
is seeded; see models/demo/README.md for the command and the card it ran on.

    PYTHONUNBUFFERED=1 python3 scripts/demo/train.py --out $OUT
    python3 scripts/demo/train.py --smoke --device cpu --out /tmp/demo-smoke   # a minute on a CPU

The shipped models are the defaults' output. The PRM adds two identity-initialised layers on top of
the generator's four and starts from a generator trained on to >= 1600 steps (a stronger calculator
than the shipped generator snapshot): without them it ranked samples of one problem only weakly.
"""
import argparse
import contextlib
import json
import math
import os
import random
import shutil
import struct
import sys
import tarfile
import time

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import dataset as D  # noqa: E402
from bpe import Tokenizer  # noqa: E402

T0 = time.time()


def log(msg, **fields):
    line = f"[{time.time() - T0:7.1f}s] {msg}"
    if fields:
        line += " " + json.dumps(fields, sort_keys=True)
    print(line, flush=True)


# ----------------------------------------------------------------------------- model (Qwen2)

class Cfg:
    def __init__(self, vocab, hidden=256, layers=4, heads=4, kv_heads=2, inter=512, theta=10000.0, eps=1e-6, max_pos=1024):
        self.vocab, self.hidden, self.layers, self.heads, self.kv_heads = vocab, hidden, layers, heads, kv_heads
        self.inter, self.theta, self.eps, self.max_pos = inter, theta, eps, max_pos
        self.head_dim = hidden // heads


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dt = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dt)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.q_proj = nn.Linear(c.hidden, c.heads * c.head_dim, bias=True)
        self.k_proj = nn.Linear(c.hidden, c.kv_heads * c.head_dim, bias=True)
        self.v_proj = nn.Linear(c.hidden, c.kv_heads * c.head_dim, bias=True)
        self.o_proj = nn.Linear(c.heads * c.head_dim, c.hidden, bias=False)

    def forward(self, x, cos, sin, mask, cache=None, cache_pos=0):
        c = self.c
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, c.heads, c.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2)
        q = (q * cos + rotate_half(q) * sin).to(v.dtype)
        k = (k * cos + rotate_half(k) * sin).to(v.dtype)
        if cache is not None:
            kc, vc = cache
            kc[:, :, cache_pos:cache_pos + T] = k
            vc[:, :, cache_pos:cache_pos + T] = v
            k, v = kc[:, :, :cache_pos + T], vc[:, :, :cache_pos + T]
        rep = c.heads // c.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(c.head_dim)
        scores = scores.float().masked_fill(~mask, torch.finfo(torch.float32).min)
        attn = torch.softmax(scores, dim=-1).to(v.dtype)
        out = torch.matmul(attn, v).transpose(1, 2).reshape(B, T, c.heads * c.head_dim)
        return self.o_proj(out)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden, c.inter, bias=False)
        self.up_proj = nn.Linear(c.hidden, c.inter, bias=False)
        self.down_proj = nn.Linear(c.inter, c.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c.hidden, c.eps)
        self.post_attention_layernorm = RMSNorm(c.hidden, c.eps)

    def forward(self, x, cos, sin, mask, cache=None, cache_pos=0):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, cache, cache_pos)
        return x + self.mlp(self.post_attention_layernorm(x))


class Backbone(nn.Module):
    """Qwen2Model: the weights under `model.*`."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab, c.hidden)
        self.layers = nn.ModuleList([Layer(c) for _ in range(c.layers)])
        self.norm = RMSNorm(c.hidden, c.eps)
        inv = 1.0 / (c.theta ** (torch.arange(0, c.head_dim, 2, dtype=torch.int64).float() / c.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, ids, pos=None, key_valid=None, cache=None, cache_pos=0):
        """ids [B,T]; pos [B,T] position ids; key_valid [B,S] (S = cache_pos+T) marks real tokens;
        cache: list of (k, v) per layer, filled at slots cache_pos..cache_pos+T-1."""
        B, T = ids.shape
        dev = ids.device
        if pos is None:
            pos = torch.arange(T, device=dev).unsqueeze(0).expand(B, T)
        S = cache_pos + T
        freqs = pos.float().unsqueeze(-1) * self.inv_freq.float()
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)  # [B,1,T,hd]
        slots = torch.arange(S, device=dev)
        qslots = torch.arange(cache_pos, S, device=dev)
        mask = (slots.unsqueeze(0) <= qslots.unsqueeze(1)).view(1, 1, T, S)
        if key_valid is not None:
            # padded queries attend to themselves only, so nothing becomes NaN
            diag = (slots.unsqueeze(0) == qslots.unsqueeze(1)).view(1, 1, T, S)
            mask = (mask & key_valid[:, :S].view(B, 1, 1, S)) | diag
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, None if cache is None else cache[i], cache_pos)
        return self.norm(x)

    def new_cache(self, B, S, dtype, device):
        c = self.c
        return [(torch.zeros(B, c.kv_heads, S, c.head_dim, dtype=dtype, device=device),
                 torch.zeros(B, c.kv_heads, S, c.head_dim, dtype=dtype, device=device)) for _ in range(c.layers)]


class CausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = Backbone(c)
        self.lm_head = nn.Linear(c.hidden, c.vocab, bias=False)

    def forward(self, ids, **kw):
        return self.lm_head(self.model(ids, **kw))


class PRM(nn.Module):
    """Qwen2ForProcessRewardModel: backbone + score.0 Linear(H,H) -> ReLU -> score.2 Linear(H,2)."""

    def __init__(self, c):
        super().__init__()
        self.model = Backbone(c)
        self.score = nn.Sequential(nn.Linear(c.hidden, c.hidden), nn.ReLU(), nn.Linear(c.hidden, 2))

    def forward(self, ids, **kw):
        return self.score(self.model(ids, **kw))

    def forward_both(self, ids, lm_head):
        h = self.model(ids)
        return self.score(h), lm_head(h)


def init_weights(module, std=0.02):
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=std)


# ----------------------------------------------------------------------------- files

def write_safetensors(path, state):
    """Plain safetensors (F32, names sorted): header length, JSON header, raw little-endian data."""
    names = sorted(state)
    header, offset, blobs = {}, 0, []
    for n in names:
        t = state[n].detach().to("cpu", torch.float32).contiguous()
        b = t.numpy().astype("<f4").tobytes()
        header[n] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def hf_config(c, tok, prm=False):
    cfg = {
        "architectures": ["Qwen2ForProcessRewardModel" if prm else "Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "vocab_size": c.vocab,
        "hidden_size": c.hidden,
        "intermediate_size": c.inter,
        "num_hidden_layers": c.layers,
        "num_attention_heads": c.heads,
        "num_key_value_heads": c.kv_heads,
        "hidden_act": "silu",
        "max_position_embeddings": c.max_pos,
        "rms_norm_eps": c.eps,
        "rope_theta": c.theta,
        "rope_scaling": None,
        "tie_word_embeddings": False,
        "use_cache": True,
        "use_sliding_window": False,
        "sliding_window": None,
        "max_window_layers": c.layers,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "bos_token_id": tok.specials["<|endoftext|>"],
        "eos_token_id": tok.specials["<|im_end|>"],
        "pad_token_id": tok.specials["<|endoftext|>"],
        "torch_dtype": "float32",
    }
    if prm:
        cfg["num_labels"] = 2
        cfg["prm_step_token"] = "<extra_0>"
        cfg["prm_step_token_id"] = tok.specials["<extra_0>"]
    return cfg


def save_checkpoint(dirpath, model, c, tok, tok_dir, prm, extra=None):
    os.makedirs(dirpath, exist_ok=True)
    write_safetensors(os.path.join(dirpath, "model.safetensors"), model.state_dict())
    with open(os.path.join(dirpath, "config.json"), "w") as f:
        json.dump(hf_config(c, tok, prm), f, indent=2)
        f.write("\n")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(tok_dir, name), os.path.join(dirpath, name))
    if extra:
        with open(os.path.join(dirpath, "training.json"), "w") as f:
            json.dump(extra, f, indent=2, sort_keys=True)
            f.write("\n")


def tar_dir(dirpath, tar_path):
    with tarfile.open(tar_path, "w") as t:
        for name in sorted(os.listdir(dirpath)):
            info = t.gettarinfo(os.path.join(dirpath, name), arcname=name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with open(os.path.join(dirpath, name), "rb") as f:
                t.addfile(info, f)


# ----------------------------------------------------------------------------- data

class Formats:
    def __init__(self, tok, gen_sys, prm_sys):
        self.tok = tok
        self.gen_sys, self.prm_sys = gen_sys, prm_sys
        self.im_start, self.im_end = tok.specials["<|im_start|>"], tok.specials["<|im_end|>"]
        self.eot = tok.specials["<|endoftext|>"]
        self.extra0 = tok.specials["<extra_0>"]
        self.gen_prefix_text = f"<|im_start|>system\n{gen_sys}<|im_end|>\n<|im_start|>user\n"
        self.gen_prefix = tok.encode(self.gen_prefix_text)
        self.assistant_ids = tok.encode("assistant\n")

    def gen_prompt_tail(self, question):
        return f"{question}<|im_end|>\n<|im_start|>assistant\n"

    def gen_prompt(self, question):
        return self.gen_prefix + self.tok.encode(self.gen_prompt_tail(question))

    def prm_text(self, question, text):
        steps = text.split("\n\n")
        return (f"<|im_start|>system\n{self.prm_sys}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
                f"<|im_start|>assistant\n" + "<extra_0>".join(steps) + "<extra_0><|im_end|>\n")


_W = {}


def _pool_init(tok_path, demo_texts):
    _W["tok"] = Tokenizer(tok_path)
    _W["exclude"] = demo_texts


def _pool_chunk(args):
    seed, n = args
    tok, exclude = _W["tok"], _W["exclude"]
    rng = random.Random(seed)
    qs, ss = [], []
    while len(qs) < n:
        p = D.make_problem(rng)
        if p["problem"] in exclude:
            continue
        qs.append(tok.encode(p["problem"] + "<|im_end|>\n<|im_start|>assistant\n"))
        ss.append(tok.encode(p["solution"] + "<|im_end|>"))
    qlen = np.array([len(q) for q in qs], dtype=np.int32)
    slen = np.array([len(s) for s in ss], dtype=np.int32)
    mat = np.zeros((n, int((qlen + slen).max())), dtype=np.int16)
    for i, (q, s) in enumerate(zip(qs, ss)):
        mat[i, :len(q) + len(s)] = q + s
    return mat, qlen, slen


def make_pool(tok_path, demo_texts, seed, n, chunk=5000, procs=None):
    """n training sequences (question part + solution part) as a padded int16 matrix + lengths."""
    import multiprocessing as mp
    jobs = [(seed * 1_000_003 + i, min(chunk, n - i * chunk)) for i in range((n + chunk - 1) // chunk)]
    procs = procs or min(16, os.cpu_count() or 1)
    if procs > 1 and len(jobs) > 1:
        with mp.get_context("fork").Pool(procs, initializer=_pool_init, initargs=(tok_path, demo_texts)) as pool:
            parts = pool.map(_pool_chunk, jobs)
    else:
        _pool_init(tok_path, demo_texts)
        parts = [_pool_chunk(j) for j in jobs]
    width = max(m.shape[1] for m, _, _ in parts)
    mat = np.zeros((n, width), dtype=np.int16)
    row = 0
    for m, _, _ in parts:
        mat[row:row + m.shape[0], :m.shape[1]] = m
        row += m.shape[0]
    return mat, np.concatenate([q for _, q, _ in parts]), np.concatenate([s for _, _, s in parts])


# ----------------------------------------------------------------------------- sampling

@torch.no_grad()
def sample(model, prompts, temperature, top_p, max_new, seed, stop_ids, pad_id, batch=2048, banned=()):
    """Sample one continuation per prompt (lists of ids) with a KV cache; returns lists of ids
    (without the stop token) and whether each stopped before max_new. `banned` ids are never drawn
    (the control tokens that are never a training target)."""
    model.eval()
    dev = next(model.parameters()).device
    out_ids, out_stopped = [None] * len(prompts), [False] * len(prompts)
    stops = torch.tensor(sorted(stop_ids), device=dev)
    for start in range(0, len(prompts), batch):
        chunk = prompts[start:start + batch]
        B, P = len(chunk), max(len(p) for p in chunk)
        ids = torch.full((B, P), pad_id, dtype=torch.long)
        valid = torch.zeros((B, P + max_new), dtype=torch.bool)
        for i, p in enumerate(chunk):
            ids[i, P - len(p):] = torch.tensor(p)
            valid[i, P - len(p):P] = True
        ids, valid = ids.to(dev), valid.to(dev)
        pos = (valid[:, :P].long().cumsum(1) - 1).clamp(min=0)
        cache = model.model.new_cache(B, P + max_new, torch.float32, dev)
        logits = model(ids, pos=pos, key_valid=valid, cache=cache, cache_pos=0)[:, -1]
        cur = valid[:, :P].sum(1)
        gen = torch.Generator(device=dev)
        gen.manual_seed(seed * 7919 + start)
        toks = torch.full((B, max_new), pad_id, dtype=torch.long, device=dev)
        done = torch.zeros(B, dtype=torch.bool, device=dev)
        length = torch.full((B,), max_new, dtype=torch.long, device=dev)
        for t in range(max_new):
            logits = logits.float()
            if banned:
                logits[:, list(banned)] = float("-inf")
            probs = torch.softmax(logits / temperature, dim=-1)
            sp, si = probs.sort(dim=-1, descending=True)
            keep = (sp.cumsum(-1) - sp) < top_p
            sp = sp * keep
            choice = torch.multinomial(sp, 1, generator=gen)
            tok = si.gather(-1, choice).squeeze(-1)
            tok = torch.where(done, torch.full_like(tok, pad_id), tok)
            toks[:, t] = tok
            newly = (~done) & torch.isin(tok, stops)
            length = torch.where(newly, torch.full_like(length, t), length)
            done = done | newly
            if bool(done.all()) or t == max_new - 1:
                break
            valid[:, P + t] = True
            logits = model(tok.unsqueeze(1), pos=cur.unsqueeze(1), key_valid=valid, cache=cache, cache_pos=P + t)[:, -1]
            cur = cur + 1
        toks, length, done = toks.cpu().tolist(), length.cpu().tolist(), done.cpu().tolist()
        for i in range(B):
            out_ids[start + i] = toks[i][:length[i]]
            out_stopped[start + i] = done[i]
    return out_ids, out_stopped


def generate_solutions(model, fmt, problems, n_per, temperature, top_p, max_new, seed, batch):
    prompts = []
    for p in problems:
        pr = fmt.gen_prompt(p["problem"])
        prompts.extend([pr] * n_per)
    ids, stopped = sample(model, prompts, temperature, top_p, max_new, seed, {fmt.im_end, fmt.eot}, fmt.eot, batch,
                          banned=(fmt.im_start, fmt.extra0))
    texts = [fmt.tok.decode(x) for x in ids]
    return texts, ids, stopped


def accuracy(model, fmt, problems, n_per, temperature, top_p, max_new, seed, batch):
    texts, ids, _ = generate_solutions(model, fmt, problems, n_per, temperature, top_p, max_new, seed, batch)
    correct = [D.is_correct(t, problems[i // n_per]["answer"]) for i, t in enumerate(texts)]
    return sum(correct) / len(correct), texts, ids, correct


# ----------------------------------------------------------------------------- PRM data

def prm_example(fmt, question, text, labels):
    """(ids, positions of <extra_0>, labels, first assistant token) for one solution; None for
    the rare sample the demo encoder cannot take (non-ASCII bytes, a spelled-out control token)."""
    if not text.isascii():
        return None
    ids = fmt.tok.encode(fmt.prm_text(question, text))
    pos = [j for j, t in enumerate(ids) if t == fmt.extra0]
    if len(pos) != len(labels):
        return None
    start = max(j for j, t in enumerate(ids) if t == fmt.im_start) + 1 + len(fmt.assistant_ids)
    if ids[start - len(fmt.assistant_ids):start] != fmt.assistant_ids:
        start = None
    return (ids, pos, labels, start)


def prm_examples(fmt, problems, texts, n_per):
    """prm_example for every sampled solution, labelled against its problem's reference."""
    return [prm_example(fmt, problems[i // n_per]["problem"], text,
                        D.label_steps(text, problems[i // n_per]["equations"], problems[i // n_per]["answer"]))
            for i, text in enumerate(texts)]


def prm_batch(examples, dev, pad_id):
    """ids, step labels at <extra_0> positions, and LM targets: the tokens of steps labelled correct
    (so the backbone keeps computing the right result in the PRM's own format)."""
    L = max(len(e[0]) for e in examples)
    ids = torch.full((len(examples), L), pad_id, dtype=torch.long)
    lab = torch.full((len(examples), L), -100, dtype=torch.long)
    lm = torch.full((len(examples), L), -100, dtype=torch.long)
    for i, (x, pos, labels, start) in enumerate(examples):
        xt = torch.tensor(x)
        ids[i, :len(x)] = xt
        lab[i, pos] = torch.tensor(labels)
        if start is not None:
            prev = start
            for p, l in zip(pos, labels):
                if l != 1:
                    break
                lm[i, prev:p] = xt[prev:p]
                prev = p + 1
    return ids.to(dev), lab.to(dev), lm.to(dev)


@torch.no_grad()
def prm_scores(prm, examples, dev, pad_id, batch=512):
    """Per-example list of step rewards softmax(head)[1] at every <extra_0>."""
    prm.eval()
    out = []
    for s in range(0, len(examples), batch):
        chunk = examples[s:s + batch]
        ids, _, _ = prm_batch(chunk, dev, pad_id)
        p1 = torch.softmax(prm(ids).float(), dim=-1)[..., 1].cpu()
        for i, (_, pos, _, _) in enumerate(chunk):
            out.append(p1[i, pos].tolist())
    return out


def pearson(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="train the prm-rel demo generator and PRM")
    ap.add_argument("--out", default=os.environ.get("OUT", "out"))
    ap.add_argument("--tokenizer", default=os.path.join(ROOT, "models/demo/tokenizer"))
    ap.add_argument("--demo-data", default=os.path.join(ROOT, "data/demo/arith.jsonl"))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--seed", type=int, default=20251)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--inter", type=int, default=512)
    ap.add_argument("--pool", type=int, default=1_000_000, help="training problems for the generator")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--gen-steps", type=int, default=8000, help="the LR schedule's length")
    ap.add_argument("--gen-seconds", type=float, default=900, help="wall-clock cap (a safety net)")
    ap.add_argument("--gen-max-steps", type=int, default=None, help="hard step cap (to remake a run cut by the clock)")
    ap.add_argument("--eval-problems", type=int, default=384)
    ap.add_argument("--band", type=float, nargs=2, default=[0.35, 0.65])
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--top-p", type=float, default=0.9)
    ap.add_argument("--max-new", type=int, default=160)
    ap.add_argument("--sample-batch", type=int, default=4096)
    ap.add_argument("--prm-problems", type=int, default=6000)
    ap.add_argument("--prm-n", type=int, default=4)
    ap.add_argument("--prm-corruptions", type=int, default=2, help="corrupted references a problem")
    ap.add_argument("--prm-extra-layers", type=int, default=2,
                    help="layers the PRM adds on top of the generator's (identity-initialised): room to compare")
    ap.add_argument("--backbone-steps", type=int, default=1600,
                    help="keep training the generator at least this long (for the PRM's backbone only)")
    ap.add_argument("--prm-lm-weight", type=float, default=0.5)
    ap.add_argument("--prm-batch", type=int, default=128)
    ap.add_argument("--prm-lr", type=float, default=5e-4)
    ap.add_argument("--prm-seconds", type=float, default=900, help="wall-clock cap (a safety net)")
    ap.add_argument("--prm-max-steps", type=int, default=None, help="hard step cap (to remake a run cut by the clock)")
    ap.add_argument("--prm-epochs", type=float, default=3)
    ap.add_argument("--test-problems", type=int, default=300)
    ap.add_argument("--test-n", type=int, default=16)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, to check the code paths on a CPU")
    args = ap.parse_args()
    if args.smoke:
        args.hidden, args.layers, args.inter, args.pool, args.batch = 64, 2, 128, 3000, 8
        args.gen_steps, args.gen_seconds, args.eval_problems = 25, 60, 8
        args.prm_problems, args.prm_n, args.prm_batch, args.prm_seconds = 16, 2, 8, 30
        args.test_problems, args.test_n, args.sample_batch, args.max_new = 6, 4, 64, 60

    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "work") if not os.environ.get("OUT") else "/tmp/demo-train"
    os.makedirs(work, exist_ok=True)
    tok_path = os.path.join(args.tokenizer, "tokenizer.json")
    tok = Tokenizer(tok_path)
    gen_sys = open(os.path.join(ROOT, "assets/generator-system-prompt.txt"), encoding="utf-8").read()
    prm_sys = open(os.path.join(ROOT, "assets/qwen-prm-system-prompt.txt"), encoding="utf-8").read()
    fmt = Formats(tok, gen_sys, prm_sys)
    demo_rows = [json.loads(l) for l in open(args.demo_data, encoding="utf-8") if l.strip()]
    demo_texts = frozenset(r["problem"] for r in demo_rows)
    metrics = {"args": vars(args), "torch": torch.__version__}

    # 1. data, before CUDA starts (the pool forks)
    mat, qlen, slen = make_pool(tok_path, demo_texts, args.seed, args.pool)
    log("generator pool", problems=len(qlen), width=int(mat.shape[1]), mean_q=float(qlen.mean()),
        mean_s=float(slen.mean()), prefix=len(fmt.gen_prefix))
    # the pieces encode like the whole conversation
    chk = D.make_split(args.seed + 99, 50, demo_texts)
    for p in chk:
        whole = tok.encode(fmt.gen_prefix_text + fmt.gen_prompt_tail(p["problem"]) + p["solution"] + "<|im_end|>")
        parts = fmt.gen_prefix + tok.encode(fmt.gen_prompt_tail(p["problem"])) + tok.encode(p["solution"] + "<|im_end|>")
        assert whole == parts, "segment tokenization differs from whole-text tokenization"
    exclude = set(demo_texts)
    eval_problems = D.make_split(args.seed + 1, args.eval_problems, exclude)
    exclude |= {p["problem"] for p in eval_problems}
    prm_problems = D.make_split(args.seed + 2, args.prm_problems, exclude)
    exclude |= {p["problem"] for p in prm_problems}
    test_problems = D.make_split(args.seed + 3, args.test_problems, exclude)

    # 2. generator
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(args.device)
    card = torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu"
    metrics["card"] = card
    log("device", card=card)
    c = Cfg(tok.vocab_size, args.hidden, args.layers, args.heads, args.kv_heads, args.inter)
    gen_model = CausalLM(c).to(dev)
    init_weights(gen_model)
    n_params = sum(p.numel() for p in gen_model.parameters())
    log("generator", params=n_params)
    prefix = torch.tensor(fmt.gen_prefix, dtype=torch.long, device=dev)
    pool = torch.from_numpy(mat).to(dev)
    qlen_t = torch.from_numpy(qlen).long().to(dev)
    tot_t = torch.from_numpy(qlen + slen).long().to(dev)
    decay = [p for n, p in gen_model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in gen_model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    warm = max(1, args.gen_steps // 40)

    def lr_at(s):
        if s < warm:
            return args.lr * (s + 1) / warm
        f = min(1.0, (s - warm) / max(1, args.gen_steps - warm))
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * f)))

    use_amp = dev.type == "cuda"

    def amp():
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16) if use_amp else contextlib.nullcontext()
    perm_gen = torch.Generator(device="cpu")
    perm_gen.manual_seed(args.seed)
    order = torch.randperm(len(qlen), generator=perm_gen)
    cursor = 0
    P = len(fmt.gen_prefix)
    evals = []
    best = None  # (distance to 0.5, step, acc, state) of the in-band snapshot nearest 50%
    nearest = None  # the same over all snapshots, while none is in the band
    step = 0
    t_train = time.time()
    next_eval = 100 if not args.smoke else 20
    over = 0
    gen_cap = min(args.gen_steps, args.gen_max_steps or args.gen_steps)
    stop_reason = "schedule end"
    while step < gen_cap:
        if time.time() - t_train >= args.gen_seconds:
            stop_reason = "clock"
            break
        if cursor + args.batch > len(order):
            order = torch.randperm(len(qlen), generator=perm_gen)
            cursor = 0
        idx = order[cursor:cursor + args.batch].to(dev)
        cursor += args.batch
        rows = pool[idx].long()
        width = int(tot_t[idx].max())
        rows = rows[:, :width]
        B = rows.shape[0]
        ids = torch.cat([prefix.unsqueeze(0).expand(B, P), rows], dim=1)
        col = torch.arange(width, device=dev).unsqueeze(0)
        is_target = (col >= qlen_t[idx].unsqueeze(1)) & (col < tot_t[idx].unsqueeze(1))
        labels = torch.full_like(ids, -100)
        labels[:, P:] = torch.where(is_target, rows, torch.full_like(rows, -100))
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        gen_model.train()
        with amp():
            logits = gen_model(ids[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, c.vocab), labels[:, 1:].reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gen_model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 100 == 0:
            log("gen step", step=step, loss=round(float(loss.detach()), 4), lr=round(lr_at(step), 6))
        if step >= next_eval:
            acc, _, _, _ = accuracy(gen_model, fmt, eval_problems, 1, args.temperature, args.top_p, args.max_new,
                                    args.seed + step, args.sample_batch)
            evals.append({"step": step, "acc": acc, "loss": float(loss.detach()), "t": round(time.time() - t_train, 1)})
            log("gen eval", step=step, acc=round(acc, 4))
            in_band = args.band[0] <= acc <= args.band[1]
            if in_band and (best is None or abs(acc - 0.5) <= best[0]):
                best = (abs(acc - 0.5), step, acc, {k: v.detach().clone() for k, v in gen_model.state_dict().items()})
            if best is None and (nearest is None or abs(acc - 0.5) <= nearest[0]):
                nearest = (abs(acc - 0.5), step, acc, {k: v.detach().clone() for k, v in gen_model.state_dict().items()})
            over = over + 1 if acc > args.band[1] else 0
            if over >= 3 and step >= args.backbone_steps:
                log("accuracy is past the band: stop")
                stop_reason = "past the band"
                break
            interval = 100 if step < 1500 else 250
            if args.smoke:
                interval = 20
            next_eval = step + interval
    final_state = {k: v.detach().clone() for k, v in gen_model.state_dict().items()}
    gen_time = time.time() - t_train
    if best is None:
        log("WARNING: no snapshot in the accuracy band; keeping the one nearest 50%")
        best = nearest
    if best is None:
        chosen_step, chosen_acc = step, float("nan")
    else:
        _, chosen_step, chosen_acc, st = best
        gen_model.load_state_dict(st)
    log("generator chosen", step=chosen_step, acc=chosen_acc, steps_run=step, stop=stop_reason, seconds=round(gen_time, 1))
    metrics["generator"] = {"params": n_params, "steps_run": step, "stop_reason": stop_reason, "chosen_step": chosen_step,
                            "eval_acc": chosen_acc, "train_seconds": round(gen_time, 1), "evals": evals}
    # accuracy on the shipped demo split (what `prm-rel demo` should see, up to llama.cpp's sampler)
    demo_problems = [{"problem": r["problem"], "answer": r["answer"]} for r in (demo_rows[:8] if args.smoke else demo_rows)]
    demo_acc, _, _, _ = accuracy(gen_model, fmt, demo_problems, 4, args.temperature, args.top_p, args.max_new,
                                 args.seed + 5, args.sample_batch)
    demo_greedy, _, _, _ = accuracy(gen_model, fmt, demo_problems, 1, 1e-4, 1.0, args.max_new, args.seed + 6, args.sample_batch)
    demo_t08, _, _, _ = accuracy(gen_model, fmt, demo_problems, 4, args.temperature, 1.0, args.max_new, args.seed + 7, args.sample_batch)
    metrics["generator"].update({"demo_acc_t0.8_top_p0.9": demo_acc, "demo_acc_greedy": demo_greedy, "demo_acc_t0.8": demo_t08})
    log("generator on the demo split", acc_t08_top_p09=demo_acc, acc_t08=demo_t08, greedy=demo_greedy)
    gen_dir = os.path.join(work, "generator")
    save_checkpoint(gen_dir, gen_model, c, tok, args.tokenizer, prm=False,
                    extra={"seed": args.seed, "card": card, "generator": metrics["generator"]})
    tar_dir(gen_dir, os.path.join(args.out, "generator.tar"))
    log("saved generator.tar")

    # 3. PRM data: sampled solutions with step labels
    t_data = time.time()
    texts, _, _ = generate_solutions(gen_model, fmt, prm_problems, args.prm_n, args.temperature, args.top_p,
                                     args.max_new, args.seed + 11, args.sample_batch)
    train_ex = [e for e in prm_examples(fmt, prm_problems, texts, args.prm_n) if e is not None]
    n_policy = len(train_ex)
    crng = random.Random(args.seed + 13)
    for p in prm_problems:
        train_ex.append(prm_example(fmt, p["problem"], p["solution"], [1] * len(p["solution"].split("\n\n"))))
        for _ in range(args.prm_corruptions):
            text, labels = D.corrupt(p, crng)
            train_ex.append(prm_example(fmt, p["problem"], text, labels))
    train_ex = [e for e in train_ex if e is not None]
    test_texts, _, _ = generate_solutions(gen_model, fmt, test_problems, args.test_n, args.temperature, args.top_p,
                                          args.max_new, args.seed + 12, args.sample_batch)
    test_all = prm_examples(fmt, test_problems, test_texts, args.test_n)
    test_ex = [e for e in test_all if e is not None]
    test_correct = [D.is_correct(t, test_problems[i // args.test_n]["answer"]) for i, t in enumerate(test_texts)]
    n_steps = sum(len(e[2]) for e in train_ex)
    n_pos = sum(sum(e[2]) for e in train_ex)
    log("PRM data", solutions=len(train_ex), sampled=n_policy, unusable=len(texts) - n_policy, steps=n_steps, correct_steps=n_pos,
        solution_acc=sum(D.is_correct(t, prm_problems[i // args.prm_n]["answer"]) for i, t in enumerate(texts)) / len(texts),
        test_solutions=len(test_ex), test_acc=sum(test_correct) / len(test_correct), seconds=round(time.time() - t_data, 1))
    metrics["prm_data"] = {"solutions": len(train_ex), "sampled": n_policy, "steps": n_steps, "correct_steps": n_pos}

    # 4. PRM: backbone from the last generator state, fresh head
    torch.manual_seed(args.seed + 100)
    cp = Cfg(c.vocab, c.hidden, c.layers + args.prm_extra_layers, c.heads, c.kv_heads, c.inter)
    prm = PRM(cp).to(dev)
    init_weights(prm.score)
    for layer in prm.model.layers[c.layers:]:
        init_weights(layer)
    backbone = {k[len("model."):]: v for k, v in final_state.items() if k.startswith("model.")}
    missing, unexpected = prm.model.load_state_dict(backbone, strict=False)
    assert not unexpected and all(k.startswith("layers.") and int(k.split(".")[1]) >= c.layers for k in missing), (missing, unexpected)
    with torch.no_grad():
        # extra layers on top of the generator's start as the identity (their residual writes are 0)
        for layer in prm.model.layers[c.layers:]:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
    # auxiliary LM head for the training only (the PRM checkpoint has none, like Qwen2.5-Math-PRM)
    lm_head = nn.Linear(c.hidden, c.vocab, bias=False).to(dev)
    lm_head.weight.data.copy_(final_state["lm_head.weight"])
    params = list(prm.parameters()) + list(lm_head.parameters())
    opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.05},
                             {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                            lr=args.prm_lr, betas=(0.9, 0.95))
    steps_per_epoch = (len(train_ex) + args.prm_batch - 1) // args.prm_batch
    prm_steps = int(args.prm_epochs * steps_per_epoch)
    pwarm = max(1, prm_steps // 20)
    rng = random.Random(args.seed + 101)
    t_prm = time.time()
    pstep = 0
    order_p = []
    prm_cap = min(prm_steps, args.prm_max_steps or prm_steps)
    prm_stop = "schedule end"
    while pstep < prm_cap:
        if time.time() - t_prm >= args.prm_seconds:
            prm_stop = "clock"
            break
        if len(order_p) < args.prm_batch:
            perm = list(range(len(train_ex)))
            rng.shuffle(perm)
            order_p.extend(perm)
        chunk = [train_ex[i] for i in order_p[:args.prm_batch]]
        del order_p[:args.prm_batch]
        ids, lab, lm_lab = prm_batch(chunk, dev, fmt.eot)
        f = pstep / max(1, prm_steps)
        lr = args.prm_lr * min(1.0, (pstep + 1) / pwarm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, f))))
        for g in opt.param_groups:
            g["lr"] = lr
        prm.train()
        with amp():
            logits, lm_logits = prm.forward_both(ids, lm_head)
        loss = F.cross_entropy(logits.float().reshape(-1, 2), lab.reshape(-1), ignore_index=-100)
        lm_loss = F.cross_entropy(lm_logits[:, :-1].float().reshape(-1, c.vocab), lm_lab[:, 1:].reshape(-1), ignore_index=-100)
        loss_all = loss + args.prm_lm_weight * lm_loss
        opt.zero_grad(set_to_none=True)
        loss_all.backward()
        torch.nn.utils.clip_grad_norm_(list(prm.parameters()) + list(lm_head.parameters()), 1.0)
        opt.step()
        pstep += 1
        if pstep % 100 == 0:
            log("prm step", step=pstep, of=prm_steps, loss=round(float(loss.detach()), 4), lm_loss=round(float(lm_loss.detach()), 4))
    prm_time = time.time() - t_prm
    log("PRM trained", steps=pstep, of=prm_steps, stop=prm_stop, seconds=round(prm_time, 1))

    # 5. PRM evaluation on fresh problems, the demo's way (N samples a problem)
    it = iter(prm_scores(prm, test_ex, dev, fmt.eot))
    scores = [next(it) if e is not None else [0.0] for e in test_all]  # unusable samples score lowest
    flat_s = [s for sc, e in zip(scores, test_all) if e is not None for s in sc]
    flat_l = [l for e in test_ex for l in e[2]]
    step_acc = float(np.mean([(s > 0.5) == (l == 1) for s, l in zip(flat_s, flat_l)]))
    by_label = {str(v): float(np.mean([s for s, l in zip(flat_s, flat_l) if l == v])) for v in (0, 1) if v in flat_l}
    agg = {"mean": lambda s: float(np.mean(s)), "min": min, "last": lambda s: s[-1]}
    res = {"step_label_accuracy": step_acc, "mean_step_reward_by_label": by_label,
           "single_sample_accuracy": float(np.mean(test_correct)), "best_of_n": {}, "pearson_full": {}}
    N = args.test_n
    for name, fn in agg.items():
        a = [fn(s) for s in scores]
        res["pearson_full"][name] = pearson(a, test_correct)
        picks = [max(range(N), key=lambda j: a[i * N + j]) for i in range(len(test_problems))]
        res["best_of_n"][name] = float(np.mean([test_correct[i * N + j] for i, j in enumerate(picks)]))
    wins = ties = pairs = 0
    a = [float(np.mean(s)) for s in scores]
    for i in range(len(test_problems)):
        good = [a[i * N + j] for j in range(N) if test_correct[i * N + j]]
        bad = [a[i * N + j] for j in range(N) if not test_correct[i * N + j]]
        for g in good:
            for b in bad:
                pairs += 1
                wins += g > b
                ties += g == b
    res["within_problem_auc_mean"] = (wins + 0.5 * ties) / pairs if pairs else float("nan")
    res["pearson_first_step"] = pearson([s[0] for s in scores], test_correct)
    res["pearson_two_steps_mean"] = pearson([float(np.mean(s[:2])) for s in scores], test_correct)
    res["oracle_pass_at_n"] = float(np.mean([any(test_correct[i * N:(i + 1) * N]) for i in range(len(test_problems))]))
    metrics["prm"] = {"steps": pstep, "stop_reason": prm_stop, "train_seconds": round(prm_time, 1), **res}
    log("PRM eval", **res)
    prm_dir = os.path.join(work, "prm")
    save_checkpoint(prm_dir, prm, cp, tok, args.tokenizer, prm=True,
                    extra={"seed": args.seed, "card": card, "prm": metrics["prm"], "generator_step": chosen_step})
    tar_dir(prm_dir, os.path.join(args.out, "prm.tar"))
    log("saved prm.tar")

    # 6. reference values for the GGUF conversion checks: step rewards of a few demo solutions
    ref_rows = demo_rows[:4]
    ref = []
    for r in ref_rows:
        ex = prm_examples(fmt, [{"problem": r["problem"], "answer": r["answer"], "equations": D.equations_of(r["solution"])[:-1]}],
                          [r["solution"]], 1)
        ref.append({"problem": r["problem"], "solution": r["solution"], "ids": ex[0][0],
                    "rewards": prm_scores(prm, ex, dev, fmt.eot)[0]})
    gen_model.eval()
    with torch.no_grad():
        ids0 = torch.tensor([fmt.gen_prompt(demo_rows[0]["problem"])], device=dev)
        lp = torch.log_softmax(gen_model(ids0)[0, -1].float(), -1)
        top = torch.topk(lp, 5)
    metrics["reference"] = {"prm": ref, "generator_first_token_top5": {
        "prompt_ids": ids0[0].tolist(), "ids": top.indices.tolist(), "logprobs": top.values.tolist()}}

    # 7. cross-checks against the libraries where installed
    metrics["checks"] = cross_checks(gen_dir, prm_dir, gen_model, prm, tok, fmt, [t for t in texts if t.isascii()][:200], dev)
    metrics["total_seconds"] = round(time.time() - T0, 1)
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
        f.write("\n")
    log("done", total_seconds=metrics["total_seconds"])


def cross_checks(gen_dir, prm_dir, gen_model, prm, tok, fmt, texts, dev):
    out = {}
    try:
        from safetensors.torch import load_file
        sd = load_file(os.path.join(gen_dir, "model.safetensors"))
        own = gen_model.state_dict()
        out["safetensors_generator"] = all(torch.equal(sd[k], own[k].cpu().float()) for k in own) and set(sd) == set(own)
        sd = load_file(os.path.join(prm_dir, "model.safetensors"))
        out["safetensors_prm_names"] = sorted(k for k in sd if not k.startswith("model."))
    except Exception as e:  # noqa: BLE001
        out["safetensors_error"] = repr(e)
    try:
        from tokenizers import Tokenizer as HFTok
        hf = HFTok.from_file(os.path.join(gen_dir, "tokenizer.json"))
        samples = [fmt.gen_prefix_text + fmt.gen_prompt_tail("Ava has 3 jars.") + t + "<|im_end|>" for t in texts]
        samples += [fmt.prm_text("Ava has 3 jars.", t) for t in texts]
        bad = sum(hf.encode(s, add_special_tokens=False).ids != tok.encode(s) for s in samples)
        out["tokenizers_mismatches"] = f"{bad}/{len(samples)}"
    except Exception as e:  # noqa: BLE001
        out["tokenizers_error"] = repr(e)
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Model
        at = AutoTokenizer.from_pretrained(gen_dir)
        msgs = [{"role": "system", "content": fmt.gen_sys}, {"role": "user", "content": "Ava has 3 jars."}]
        rendered = at.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        out["chat_template_matches"] = rendered == fmt.gen_prefix_text + fmt.gen_prompt_tail("Ava has 3 jars.")
        hf = AutoModelForCausalLM.from_pretrained(gen_dir).float().to(dev).eval()
        ids = torch.tensor([tok.encode(fmt.gen_prefix_text + fmt.gen_prompt_tail("Ava has 3 jars.") + texts[0])], device=dev)
        with torch.no_grad():
            a = hf(ids).logits.float()
            b = gen_model(ids).float()
        out["transformers_generator_max_abs_logit_diff"] = float((a - b).abs().max())
        base = Qwen2Model.from_pretrained(prm_dir).float().to(dev).eval()
        ids = torch.tensor([tok.encode(fmt.prm_text("Ava has 3 jars.", texts[0]))], device=dev)
        with torch.no_grad():
            h = base(ids).last_hidden_state
            a = torch.softmax(prm.score(h).float(), -1)[..., 1]
            b = torch.softmax(prm(ids).float(), -1)[..., 1]
        out["transformers_prm_max_abs_reward_diff"] = float((a - b).abs().max())
    except Exception as e:  # noqa: BLE001
        out["transformers_error"] = repr(e)[:500]
    log("cross-checks", **out)
    return out


if __name__ == "__main__":
    main()
