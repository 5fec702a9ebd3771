#!/usr/bin/env python3
"""Synthetic multi-step arithmetic word problems for prm-rel's embedded demo.

Every problem is a chain of 2-4 integer operations on one quantity. Its reference solution is
written the way real math generators write (steps separated by a blank line, then the boxed
answer), and every computation step carries exactly one equation `a op b = c`, so a sampled
solution can be checked step by step against the reference (see `label_steps`).

Pure Python, no dependencies: the same code makes the shipped demo split (run this file) and the
training splits, on the fly, inside scripts/demo/train.py on the GPU machine.

    python3 scripts/demo/dataset.py --out data/demo/arith.jsonl --n 300 --seed 1
"""
import argparse
import json
import random
import re

NAMES = ["Ava", "Ben", "Cara", "Dan", "Eli", "Finn", "Gia", "Hana", "Ivan", "Jade", "Kai", "Lena",
         "Maya", "Noah", "Omar", "Pia", "Ravi", "Sara", "Tom", "Uma", "Vera", "Will", "Yara", "Zoe"]
# item -> container it comes in
ITEMS = {"apples": "baskets", "marbles": "bags", "stickers": "sheets", "books": "shelves",
         "coins": "jars", "cookies": "trays", "pencils": "boxes", "cards": "packs",
         "shells": "buckets", "beads": "strings", "stamps": "albums", "eggs": "cartons"}

FINAL_LINE = "Therefore, the final answer is: $\\boxed{%d}$. I hope it is correct."
EQUATION = re.compile(r"(\d+) ([-+*/]) (\d+) = (-?\d+)")
BOXED = re.compile(r"\\boxed\{([^{}]*)\}")


def _divisors(v):
    return [d for d in range(2, 10) if v % d == 0 and v // d >= 2]


def make_problem(rng):
    """One problem: {'problem', 'answer', 'solution', 'equations'} (equations: list of (a, op, b, c))."""
    name = rng.choice(NAMES)
    item = rng.choice(sorted(ITEMS))
    container = ITEMS[item]
    n_steps = rng.choice([2, 3, 3, 4])
    sentences, steps, eqs = [], [], []
    if rng.random() < 0.5:
        a, b = rng.randint(2, 9), rng.randint(11, 49)
        v = a * b
        sentences.append(f"{name} has {a} {container} with {b} {item} in each.")
        steps.append((f"Count the {item}", (a, "*", b, v)))
    else:
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        v = a + b
        sentences.append(f"{name} has {a} {item} and finds {b} more.")
        steps.append((f"Add the {item} found", (a, "+", b, v)))
    while len(steps) < n_steps:
        ops = ["+", "-"]
        if v <= 200:
            ops.append("*")
        if _divisors(v):
            ops += ["/", "/"]
        op = rng.choice(ops)
        if op == "+":
            b = rng.randint(10, 99)
            r = v + b
            sentences.append(f"Then {name} buys {b} more {item}.")
            header = f"Add the {item} bought"
        elif op == "-":
            if v <= 11:
                continue
            b = rng.randint(1, min(99, v - 1)) if v < 20 else rng.randint(10, min(99, v - 1))
            r = v - b
            sentences.append(f"Then {name} gives away {b} {item}.")
            header = f"Subtract the {item} given away"
        elif op == "*":
            b = rng.randint(2, 5)
            r = v * b
            sentences.append(f"Then the number of {item} becomes {b} times as large.")
            header = f"Multiply the {item}"
        else:
            b = rng.choice(_divisors(v))
            r = v // b
            sentences.append(f"Then {name} splits the {item} into {b} equal groups and keeps one group.")
            header = f"Divide the {item}"
        steps.append((header, (v, op, b, r)))
        v = r
    sentences.append(f"How many {item} does {name} have now?")
    parts = [f"## Step {i + 1}: {h}\n{a} {op} {b} = {c}." for i, (h, (a, op, b, c)) in enumerate(steps)]
    parts.append(FINAL_LINE % v)
    return {
        "problem": " ".join(sentences),
        "answer": v,
        "solution": "\n\n".join(parts),
        "equations": [e for _, e in steps],
    }


def make_split(seed, n, exclude=()):
    """n distinct problems from a seeded stream, skipping any whose text is in `exclude`."""
    rng = random.Random(seed)
    seen = set(exclude)
    out = []
    while len(out) < n:
        p = make_problem(rng)
        if p["problem"] in seen:
            continue
        seen.add(p["problem"])
        out.append(p)
    return out


def equations_of(solution):
    """The equations a solution's steps state, per step (None where a step states none)."""
    out = []
    for step in solution.split("\n\n"):
        m = EQUATION.search(step)
        out.append((int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))) if m else None)
    return out


def boxed_of(text):
    found = BOXED.findall(text)
    return found[-1].strip() if found else None


def label_steps(text, equations, answer):
    """Per "\\n\\n"-step labels of a sampled solution: 1 while it follows the reference computation,
    0 from the first step that diverges on (a wrong operand, result or operation, a missing step,
    an extra step, or a wrong boxed answer)."""
    steps = text.split("\n\n")
    k = len(equations)
    labels = []
    ok = True
    for j, step in enumerate(steps):
        if ok:
            if j < k:
                m = EQUATION.search(step)
                ok = bool(m) and (int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))) == tuple(equations[j]) \
                    and boxed_of(step) is None
            elif j == k:
                ok = boxed_of(step) == str(answer)
            else:
                ok = False
        labels.append(1 if ok else 0)
    return labels


def _apply(a, op, b):
    return a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a // b


def corrupt(problem, rng):
    """The reference solution with one wrong result (one digit changed) at a random step, carried
    forward the way a generator carries its own mistakes. Returns (text, per-step labels)."""
    eqs = problem["equations"]
    k = len(eqs)
    j = rng.randrange(k)
    steps = problem["solution"].split("\n\n")
    v = None
    for i, (a, op, b, _) in enumerate(eqs):
        if i > j:
            a = v
        c = _apply(a, op, b)
        if i == j:
            digits = list(str(c))
            d = rng.randrange(len(digits))
            choices = [x for x in "0123456789" if x != digits[d] and not (d == 0 and x == "0" and len(digits) > 1)]
            digits[d] = rng.choice(choices)
            c = int("".join(digits))
        steps[i] = EQUATION.sub(f"{a} {op} {b} = {c}", steps[i])
        v = c
    steps[k] = FINAL_LINE % v
    return "\n\n".join(steps), [1] * j + [0] * (k + 1 - j)


def is_correct(text, answer):
    """Final-answer correctness the way the demo grades it: the last \\boxed{} equals the answer."""
    return boxed_of(text) == str(answer)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rows = make_split(args.seed, args.n)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for i, p in enumerate(rows):
            f.write(json.dumps({"problem_idx": i + 1, "problem": p["problem"], "answer": p["answer"],
                                "solution": p["solution"]}, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
