"""The original method on the same card, for prm-rel's GPU benchmark (bench/gpu/run.ts).

HF transformers, bf16, a random-weight Qwen2 model of the real shape initialised on the GPU plus
Qwen2.5-Math-PRM's classifier head (score = Linear(H,H) -> ReLU -> Linear(H,2), applied at every
position, as Qwen2ForProcessRewardModel does), and exactly the released script's loop body: one
fresh forward pass per (solution, tau, aggregation), softmax over the 2 head logits, the rewards at
the <extra_0> positions copied to the CPU. Batch 1, no KV reuse.

It times a uniform random sample of the naive workload's forwards (lengths and reward positions
come from prm-rel's own planner, naive-sample.json) and extrapolates: total = mean time x count.
Tokenisation and chat-template rendering on the CPU are left out (they would only slow the
baseline). Also measures the two ceilings: the bf16 matmul rate and device-to-device copy bandwidth.

usage: python3 hf_baseline.py --sample naive-sample.json --out hf.json [--shape qwen2.5-7b] [--device cuda]
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
from torch import nn

SHAPES = {
    "qwen2.5-7b": dict(hidden_size=3584, num_hidden_layers=28, num_attention_heads=28, num_key_value_heads=4, intermediate_size=18944, vocab_size=152064),
    "qwen2.5-1.5b": dict(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2, intermediate_size=8960, vocab_size=151936),
    "tiny": dict(hidden_size=256, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=512, vocab_size=8192),
}


def log(*a):
    print("[hf]", *a, file=sys.stderr, flush=True)


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def matmul_rate(device, n):
    """bf16 n x n x n products: median TFLOP/s over 10 timed runs after 3 warm-ups, random data, 3 rotating input sets."""
    dt = torch.bfloat16 if device == "cuda" else torch.float32
    sets = [(torch.randn(n, n, device=device, dtype=dt), torch.randn(n, n, device=device, dtype=dt)) for _ in range(3)]
    for i in range(3):
        sets[i % 3][0] @ sets[i % 3][1]
    sync(device)
    times = []
    for i in range(10):
        a, b = sets[i % 3]
        t = time.perf_counter()
        a @ b
        sync(device)
        times.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(times) / 1e12


def copy_bandwidth(device, gib):
    """Device-to-device copy, bytes read + written, median GB/s of 10."""
    n = int(gib * 2**30) // 4
    src = torch.empty(n, dtype=torch.float32, device=device).uniform_()
    dst = torch.empty_like(src)
    for _ in range(3):
        dst.copy_(src)
    sync(device)
    times = []
    for _ in range(10):
        t = time.perf_counter()
        dst.copy_(src)
        sync(device)
        times.append(time.perf_counter() - t)
    return 2 * n * 4 / statistics.median(times) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shape", default="qwen2.5-7b")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--max-forwards", type=int, default=10**9)
    ap.add_argument("--time-budget", type=float, default=60.0, help="seconds for the timed forwards")
    args = ap.parse_args()
    device = args.device
    out = {"device": device, "shape": args.shape}
    t0 = time.perf_counter()
    import transformers
    from transformers import Qwen2Config, Qwen2Model

    out["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__, "python": sys.version.split()[0]}
    if device == "cuda":
        out["gpu"] = torch.cuda.get_device_name(0)
    log("import", round(time.perf_counter() - t0, 1), "s", out["versions"], out.get("gpu"))

    n = 8192 if device == "cuda" else 512
    out["matmul_tflops"] = matmul_rate(device, n)
    out["matmul_size"] = n
    out["copy_gbps"] = copy_bandwidth(device, 4 if device == "cuda" else 0.25)
    log(f"bf16 matmul {out['matmul_tflops']:.0f} TFLOP/s, copy {out['copy_gbps']:.0f} GB/s")
    torch.cuda.empty_cache() if device == "cuda" else None

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    cfg = Qwen2Config(**SHAPES[args.shape], max_position_embeddings=32768, use_cache=False, tie_word_embeddings=False)
    cfg._attn_implementation = "sdpa"
    t = time.perf_counter()
    torch.set_default_dtype(dtype)
    with torch.device(device):
        model = Qwen2Model(cfg)
        H = cfg.hidden_size
        score = nn.Sequential(nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 2))
    torch.set_default_dtype(torch.float32)
    model.eval()
    score.eval()
    sync(device)
    out["init_s"] = time.perf_counter() - t
    out["params"] = sum(p.numel() for p in model.parameters()) + sum(p.numel() for p in score.parameters())
    out["attn_implementation"] = cfg._attn_implementation
    log(f"model {out['params'] / 1e9:.2f} B params, {dtype}, init {out['init_s']:.1f} s")

    # run.ts writes the sample while this process imports and initialises: wait for it.
    waited = time.perf_counter()
    while not os.path.exists(args.sample):
        if time.perf_counter() - waited > 240:
            raise SystemExit(f"no {args.sample} after 240 s")
        time.sleep(0.5)
    out["waited_for_sample_s"] = time.perf_counter() - waited
    with open(args.sample) as f:
        work = json.load(f)
    sample = work["sample"][: args.max_forwards]
    step_id = work.get("step_token_id", 151651)
    vocab = cfg.vocab_size
    gen = torch.Generator(device="cpu").manual_seed(0)

    def forward(length, positions):
        ids = torch.randint(0, 256, (1, length), generator=gen)  # byte tokens, as the benchmark vocabulary tokenizes text
        ids[0, positions] = step_id
        ids = ids.to(device)
        with torch.no_grad():
            hidden = model(input_ids=ids).last_hidden_state
            logits = score(hidden)  # (1, T, 2), every position, as the PRM class does
            token_masks = ids == step_id
            probabilities = torch.softmax(logits, dim=-1) * token_masks.unsqueeze(-1)
            sample_probs = probabilities[0]
            rewards = sample_probs[sample_probs != 0].view(-1, 2)[:, 1].float().cpu().tolist()
        return rewards

    # Warm-up (kernel selection, allocator) on a few lengths.
    for item in sample[:3]:
        forward(item["len"], item["pos"])
    sync(device)
    times, tokens = [], []
    t_start = time.perf_counter()
    for item in sample:
        if time.perf_counter() - t_start > args.time_budget:
            break
        t = time.perf_counter()
        r = forward(item["len"], item["pos"])
        sync(device)
        times.append(time.perf_counter() - t)
        tokens.append(item["len"])
        if len(r) != len(item["pos"]):
            raise SystemExit(f"read {len(r)} rewards for {len(item['pos'])} positions")
    k = len(times)
    mean = statistics.fmean(times)
    sd = statistics.stdev(times) if k > 1 else 0.0
    count = work["count"]
    out.update({
        "forwards_timed": k,
        "forwards_total": count,
        "mean_forward_s": mean,
        "mean_forward_tokens": statistics.fmean(tokens),
        "tokens_per_s": sum(tokens) / sum(times),
        # Extrapolation: the timed forwards are a uniform random sample of all (solution, tau, aggregation) passes.
        "extrapolated_total_s": mean * count,
        "extrapolated_total_s_stderr": sd / math.sqrt(k) * count if k > 1 else None,
        # For the ratio estimator (time per token x all naive tokens; run.ts knows that total).
        "seconds_per_token": sum(times) / sum(tokens),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None,
    })
    log(f"{k} forwards timed of {count}: mean {mean * 1000:.1f} ms ({out['mean_forward_tokens']:.0f} tokens), "
        f"{out['tokens_per_s']:.0f} tok/s, total ~ {out['extrapolated_total_s']:.0f} s")
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
