"""Label each extracted paragraph as in-gold or not (for analysis only)."""
from __future__ import annotations
import re
from metric import TOKEN_RE

def gold_index(gold: str):
    toks = TOKEN_RE.findall(gold)
    s4 = set(' '.join(toks[i:i+4]) for i in range(len(toks)-3))
    return ' ' + ' '.join(toks) + ' ', s4

def in_gold(line: str, gi) -> float:
    joined, s4 = gi
    toks = TOKEN_RE.findall(line)
    if not toks:
        return 1.0
    if len(toks) < 4:
        return 1.0 if (' ' + ' '.join(toks) + ' ') in joined else 0.0
    sh = [' '.join(toks[i:i+4]) for i in range(len(toks)-3)]
    return sum(x in s4 for x in sh) / len(sh)
