"""Shingle metric of the ScrapingHub article-extraction-benchmark (reimplementation).

Per document: multisets of word 4-gram shingles of gold and prediction, tokens = re.findall(r'\\w+', text)
(case-SENSITIVE, no lowercasing). For texts with fewer than 4 tokens a single shorter shingle of all tokens
is used (range(max(1, len-n+1))), and an empty text yields no shingles.
tp = sum min(counts), fp = sum excess in prediction, fn = sum excess in gold.
precision_doc = tp/(tp+fp), recall_doc = tp/(tp+fn); averaged over documents; F1 = harmonic mean of the averages.
If a denominator is 0 (empty prediction -> P, empty gold -> R) the value is EDGE (0.0 here). No dev document has an
empty gold or an empty trafilatura output, so the EDGE choice (0 vs 1) does not change the README baselines.
(Normalising tp,fp,fn by tp+fp+fn, as the upstream code does, does not change these ratios.)
"""
from __future__ import annotations
import re
from collections import Counter
from typing import Iterable

TOKEN_RE = re.compile(r'\w+', re.UNICODE)
EDGE = 0.0  # value of precision/recall when its denominator is 0 (no extraction) -- see report


def shingles(text: str | None, n: int = 4, lower: bool = False) -> Counter:
    toks = TOKEN_RE.findall(text or '')
    if lower:
        toks = [t.lower() for t in toks]
    out = Counter()
    for i in range(max(1, len(toks) - n + 1)):
        s = ' '.join(toks[i:i + n])
        if s:
            out[s] += 1
    return out


def doc_counts(gold: str | None, pred: str | None, n: int = 4, lower: bool = False) -> tuple[int, int, int]:
    g, p = shingles(gold, n, lower), shingles(pred, n, lower)
    tp = sum((g & p).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    return tp, fp, fn


def doc_pr(gold: str | None, pred: str | None, edge: float = EDGE, **kw) -> tuple[float, float]:
    tp, fp, fn = doc_counts(gold, pred, **kw)
    p = tp / (tp + fp) if tp + fp else edge
    r = tp / (tp + fn) if tp + fn else edge
    return p, r


def score(pairs: Iterable[tuple[str | None, str | None]], edge: float = EDGE, **kw) -> dict[str, float]:
    """pairs = (gold, prediction) per document -> {'P','R','F1','n'}"""
    ps, rs = [], []
    for g, p in pairs:
        a, b = doc_pr(g, p, edge=edge, **kw)
        ps.append(a); rs.append(b)
    P = sum(ps) / len(ps); R = sum(rs) / len(rs)
    return {'P': P, 'R': R, 'F1': 2 * P * R / (P + R) if P + R else 0.0, 'n': len(ps)}
