"""Reference pair verifier for newsdedup (study version).

compare(text_a, text_b) -> dict of scores; classify(scores) -> "duplicate" | "same_story" | "different".
Texts are expected to be cleaned article text (title line first is fine).
Dependencies: wordfreq (token rarity weights). Pure Python otherwise.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import zipf_frequency

# ---------------------------------------------------------------- tokenisation
_TOK = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# sentence boundary: . ! ? (+closing quotes/brackets), whitespace, then an opening quote/capital/digit
_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
# do not end a sentence after a short capitalised abbreviation ("Dec.", "Gen.", "U.S.", "St.")
_ABBR = re.compile(r"(?:\b[A-Z][a-z]{0,3}|\b[A-Z](?:\.[A-Z])*|\bNo|\bvs)\.$")
# languages whose frequency lists are consulted (max zipf wins) so that function words of
# non-English text do not count as rare
_LANGS = ("en", "es", "fr", "de", "it", "pt", "nl", "ru", "ar", "hi", "tr", "pl")  # zh/ja need extra tokenizers

W_MAX = 7.0          # weight of a word unknown to wordfreq
SIM_PARA = 0.20      # min weighted Jaccard for two sentences to count as "the same sentence, reworded"
SIM_COPY = 0.80      # at/above this a sentence match is (near-)verbatim
MIN_SENT_TOKENS = 8  # shorter sentences/lines (titles, list items, captions) are ignored by alignment


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return (text.replace("\u2019", "'").replace("\u2018", "'")
            .replace("\u201c", '"').replace("\u201d", '"'))


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; possessive 's dropped, inner apostrophes removed."""
    out: list[str] = []
    for t in _TOK.findall(_norm(text)):
        t = t.lower()
        if t.endswith("'s"):
            t = t[:-2]
        out.append(t.replace("'", ""))
    return out


@lru_cache(maxsize=1_000_000)
def weight(tok: str) -> float:
    """Rarity weight: W_MAX - zipf_en (or max zipf over _LANGS if unknown in English), clipped.
    'the' -> 0, 'said' ~0.6, 'russia' ~2, 'hmeimim' -> 7."""
    z = zipf_frequency(tok, "en")
    if z == 0.0:  # unknown in English: maybe a common word of another language
        z = max(zipf_frequency(tok, lang) for lang in _LANGS)
    return max(0.0, min(W_MAX, W_MAX - z))


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in _norm(text).split("\n"):
        line = line.strip()
        if not line:
            continue
        buf = ""
        for part in _SPLIT.split(line):
            buf = f"{buf} {part}" if buf else part
            if _ABBR.search(buf):
                continue
            out.append(buf)
            buf = ""
        if buf:
            out.append(buf)
    return out


# ---------------------------------------------------------------- per-document representation
@dataclass(frozen=True)
class Doc:
    toks: tuple[str, ...]
    tf: Counter
    vocab: frozenset
    vocab_w: float
    norm: float                       # L2 norm of the tf*weight vector
    tri: frozenset                    # word 3-gram set
    sents: tuple[frozenset, ...]      # token set per sentence
    sent_w: tuple[float, ...]         # weight of each sentence's token set


def prepare(text: str) -> Doc:
    t = tokens(text)
    tf = Counter(t)
    vocab = frozenset(tf)
    sents = tuple(frozenset(tt) for tt in (tokens(x) for x in sentences(text)) if len(tt) >= MIN_SENT_TOKENS)
    return Doc(
        toks=tuple(t), tf=tf, vocab=vocab,
        vocab_w=sum(weight(x) for x in vocab),
        norm=math.sqrt(sum((c * weight(x)) ** 2 for x, c in tf.items())),
        tri=frozenset(zip(t, t[1:], t[2:])),
        sents=sents,
        sent_w=tuple(sum(weight(x) for x in s) for s in sents),
    )


def _wsum(s) -> float:
    return sum(weight(x) for x in s)


def _sent_cov(A: Doc, B: Doc) -> tuple[float, float, int]:
    """Content-weighted fraction of A's sentences that have a counterpart in B.

    Counterpart = a sentence of B, or two adjacent sentences of B joined (rewrites merge/split
    sentences), with weighted Jaccard >= SIM_PARA.  Returns (paraphrase_fraction, verbatim_fraction):
    a matched sentence goes to verbatim if its best similarity >= SIM_COPY, else to paraphrase."""
    units = list(B.sents) + [B.sents[i] | B.sents[i + 1] for i in range(len(B.sents) - 1)]
    units_w = [_wsum(u) for u in units]
    index: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        for x in u:
            if weight(x) >= 1.5:          # only content-ish words index the candidates
                index.setdefault(x, []).append(i)
    tot = para = copy = 0.0
    n_para = 0
    for s, ws in zip(A.sents, A.sent_w):
        if ws <= 0:
            continue
        tot += ws
        cand = {i for x in s if x in index for i in index[x]}
        best = 0.0
        for i in cand:
            inter = _wsum(s & units[i])
            sim = inter / (ws + units_w[i] - inter)
            if sim > best:
                best = sim
        if best >= SIM_COPY:
            copy += ws
        elif best >= SIM_PARA:
            para += ws
        if best >= SIM_PARA:
            n_para += 1
    return (para / tot, copy / tot, n_para) if tot else (0.0, 0.0, 0)


def compare(text_a: str | Doc, text_b: str | Doc) -> dict[str, float]:
    """Pair signals (all symmetric, all in [0, 1]):
    c3    word 3-gram containment of the smaller 3-gram set in the other (verbatim copy signal)
    wc1   rarity-weighted containment of the lighter vocabulary in the other
    wcos  cosine of tf*rarity vectors (topic/story similarity)
    sal   sentence alignment of the lighter text: fraction (content-weighted) of its sentences
          that have a reworded-but-recognisable counterpart (0.20 <= wJaccard < 0.80)
    sal_all  same, counting verbatim matches too
    n_al     number of the lighter text's sentences counted in sal_all
    len_ratio  longer / shorter token count (>= 1)"""
    A = text_a if isinstance(text_a, Doc) else prepare(text_a)
    B = text_b if isinstance(text_b, Doc) else prepare(text_b)
    if not A.toks or not B.toks:
        return {"c3": 0.0, "wc1": 0.0, "wcos": 0.0, "sal": 0.0, "sal_all": 0.0, "n_al": 0.0, "len_ratio": 0.0}
    shared = A.vocab & B.vocab
    sw = _wsum(shared)
    wc1 = sw / min(A.vocab_w, B.vocab_w) if min(A.vocab_w, B.vocab_w) else 0.0
    dot = sum(A.tf[x] * B.tf[x] * weight(x) ** 2 for x in shared)
    wcos = dot / (A.norm * B.norm) if A.norm and B.norm else 0.0
    c3 = (len(A.tri & B.tri) / min(len(A.tri), len(B.tri))) if A.tri and B.tri else 0.0
    short, other = (A, B) if A.vocab_w <= B.vocab_w else (B, A)
    para, copy, n_para = _sent_cov(short, other)
    return {"c3": c3, "wc1": wc1, "wcos": wcos, "sal": para, "sal_all": para + copy, "n_al": float(n_para),
            "len_ratio": max(len(A.toks), len(B.toks)) / min(len(A.toks), len(B.toks))}


# ---------------------------------------------------------------- decision rule
T_COPY_C3 = 0.50      # verbatim copy: half of the smaller text's word 3-grams occur in the other
T_REWRITE_SAL = 0.40  # rewrite: >= 40% of the lighter text's content has a sentence counterpart in the other
T_REWRITE_WC1 = 0.40  #   ... and >= 40% of its rarity-weighted vocabulary is shared
T_REWRITE_N = 3       #   ... and at least 3 such sentences (2 glued boilerplate sentences are not a rewrite)
T_REWRITE_RATIO = 3.0 #   ... and lengths within 3x (a short text vs a long live blog/list matches by chance)
T_SAME_WCOS = 0.45    # same story: strong weighted-vocabulary similarity, or
T_SAME_SAL = 0.15     #   >= 15% of the lighter text's content has a sentence counterpart (shared facts)
T_SAME_WC1 = 0.25     #   ... with >= 25% weighted vocabulary containment


def classify(s: dict[str, float]) -> str:
    if s["c3"] >= T_COPY_C3:
        return "duplicate"
    if s["sal_all"] >= T_REWRITE_SAL and s["wc1"] >= T_REWRITE_WC1 and s["n_al"] >= T_REWRITE_N \
            and s["len_ratio"] <= T_REWRITE_RATIO:
        return "duplicate"
    if s["wcos"] >= T_SAME_WCOS or (s["sal_all"] >= T_SAME_SAL and s["wc1"] >= T_SAME_WC1):
        return "same_story"
    return "different"
