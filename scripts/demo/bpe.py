"""A pure-Python encoder/decoder for the demo's byte-level BPE `tokenizer.json`.

It follows Hugging Face `tokenizers` and llama.cpp (`pre = qwen2`) exactly on ASCII text, which is
all the demo ever feeds it: special tokens are cut out first, the rest is split by Qwen2's
pre-tokenizer regex (here spelled for ASCII, since Python's `re` has no \\p{L}), each piece is
spelled in GPT-2's byte alphabet and merged by rank. train.py checks it against `tokenizers`
where that library is installed.
"""
import json
import re

# Qwen2's pattern with \p{L} -> [A-Za-z] and \p{N} -> [0-9]: equal on ASCII input.
PRETOKENIZE = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def _byte_alphabet():
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    out, extra = [], 0
    for b in range(256):
        if b in printable:
            out.append(chr(b))
        else:
            out.append(chr(256 + extra))
            extra += 1
    return out


BYTE_TO_CHAR = _byte_alphabet()
CHAR_TO_BYTE = {c: b for b, c in enumerate(BYTE_TO_CHAR)}


class Tokenizer:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        model = spec["model"]
        self.vocab = dict(model["vocab"])
        merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
        self.ranks = {tuple(m.split(" ")): i for i, m in enumerate(merges)}
        self.specials = {t["content"]: t["id"] for t in spec["added_tokens"]}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.id_to_token.update({i: t for t, i in self.specials.items()})
        self.vocab_size = max(self.id_to_token) + 1
        self._special_re = re.compile("(" + "|".join(re.escape(s) for s in sorted(self.specials, key=len, reverse=True)) + ")")
        self._cache = {}

    def _bpe(self, piece):
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        parts = [BYTE_TO_CHAR[b] for b in piece.encode("utf-8")]
        while len(parts) > 1:
            best, best_rank = None, None
            for i in range(len(parts) - 1):
                r = self.ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = i, r
            if best is None:
                break
            a, b = parts[best], parts[best + 1]
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        ids = [self.vocab[p] for p in parts]
        self._cache[piece] = ids
        return ids

    def encode(self, text):
        """Token ids of `text`, special tokens recognised (like llama.cpp's parse_special)."""
        if not text.isascii():
            raise ValueError("the demo encoder handles ASCII text only")
        ids = []
        for chunk in self._special_re.split(text):
            if not chunk:
                continue
            sid = self.specials.get(chunk)
            if sid is not None:
                ids.append(sid)
                continue
            for m in PRETOKENIZE.finditer(chunk):
                ids.extend(self._bpe(m.group(0)))
        return ids

    def decode(self, ids):
        out = bytearray()
        text = []
        for i in ids:
            t = self.id_to_token[int(i)]
            if t in self.specials:
                text.append(out.decode("utf-8", errors="replace"))
                out = bytearray()
                text.append(t)
            else:
                out.extend(CHAR_TO_BYTE[c] for c in t)
        text.append(out.decode("utf-8", errors="replace"))
        return "".join(text)
