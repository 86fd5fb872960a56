"""The first, cheap look verification takes at a pair: can it be linked at all?

Most LSH candidates of an article are unrelated: they share a name or two. Verification's full
comparison (pipeline/dedupe/verify.py, compare) aligns sentences and needs each text prepared
from its body, which costs more than finding the candidate did. Every rule that links a pair
needs word 3-gram containment, weighted vocabulary or cosine above a threshold, so a pair below
all three is unrelated whatever else it shares. A Screen holds what those three scores need, as
sorted hash arrays: it is kept with every stored article (table article_screens), so that a
stored candidate's body is read and prepared only when the screen passes, and the cost of an
article does not grow with how often its names recur in the corpus.

The screen may let through a pair that then turns out unrelated, never the other way round:
hashes can only add coincidental shared words, and thresholds are compared with a margin for
the last digits numpy's summation order changes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from pipeline.config import DedupeSettings
from pipeline.dedupe.fingerprint import FEATURE_HASHING, ngram_hashes, word_hashes

# The stored format: a header, then word hashes (uint64), their counts (uint32), their weights
# (float32), and the word 3-gram hashes (uint32), each array sorted by hash. 32 bits are enough
# for 3-grams: a coincidental match among ~1,000 x 1,000 pairs of hashes is rare, and it could
# only raise containment, which the screen allows for. 16 bytes per distinct word and 4 per
# distinct 3-gram.
_HEADER = struct.Struct("<IddII")  # token_count, vocabulary_weight, norm, words, trigrams
# compare() rounds scores to 4 decimals before classify() reads them, and the screen's float32
# weights and numpy's summation order move the last digits: a score within this margin below a
# threshold may still reach it there.
_MARGIN = 5e-5 + 1e-5


@dataclass(frozen=True)
class Screen:
    token_count: int
    vocabulary_weight: float
    norm: float
    words: np.ndarray  # uint64 word hashes, sorted, unique
    counts: np.ndarray  # uint32, the words' counts
    weights: np.ndarray  # float32, the words' rarity weights
    trigrams: np.ndarray  # uint32 hashes of the distinct word 3-grams, sorted

    def to_bytes(self) -> bytes:
        header = _HEADER.pack(
            self.token_count, self.vocabulary_weight, self.norm, len(self.words), len(self.trigrams)
        )
        arrays = (
            self.words.astype("<u8"),
            self.counts.astype("<u4"),
            self.weights.astype("<f4"),
            self.trigrams.astype("<u4"),
        )
        return header + b"".join(a.tobytes() for a in arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> Screen:
        token_count, vocabulary_weight, norm, n_words, n_trigrams = _HEADER.unpack_from(data)
        offset = _HEADER.size
        arrays = []
        for dtype, count in (("<u8", n_words), ("<u4", n_words), ("<f4", n_words),
                             ("<u4", n_trigrams)):  # fmt: skip
            arrays.append(np.frombuffer(data, dtype=dtype, count=count, offset=offset))
            offset += arrays[-1].nbytes
        return cls(token_count, vocabulary_weight, norm, *arrays)


HASHING = FEATURE_HASHING  # stored with each screen: screens of other hashing are not used


def make_screen(
    words: list[str], weights: dict[str, float], vocabulary_weight: float, norm: float
) -> Screen:
    """The screen of a text verify.prepare has tokenized (`words`) and weighed (`weights`)."""
    token_hashes = np.array(word_hashes(words), dtype=np.uint64)
    order = np.argsort(token_hashes, kind="stable")
    ordered = token_hashes[order]
    starts = np.flatnonzero(_firsts(ordered))
    counts = np.diff(np.append(starts, len(ordered)))
    vocabulary_weights = [weights[words[i]] for i in order[starts].tolist()]
    # The words scheme's feature hashes (compare() reads copy containment from them); a text
    # of fewer than 3 words has no 3-gram.
    if len(words) >= 3:
        trigrams = np.sort(ngram_hashes(token_hashes, 3))
        trigrams = trigrams[_firsts(trigrams)]
    else:
        trigrams = np.empty(0, dtype=np.uint32)
    return Screen(
        token_count=len(words),
        vocabulary_weight=vocabulary_weight,
        norm=norm,
        words=ordered[starts],
        counts=counts.astype(np.uint32),
        weights=np.array(vocabulary_weights, dtype=np.float32),
        trigrams=trigrams.astype(np.uint32),
    )


def _firsts(ordered: np.ndarray) -> np.ndarray:
    """True at the first of each run of equal values in a sorted array (np.unique is ~20x
    slower on these small arrays in numpy 2.x)."""
    return np.concatenate(([True], ordered[1:] != ordered[:-1])) if len(ordered) else ordered


def _reaches(value: float, threshold: float) -> bool:
    return value >= threshold - _MARGIN


def may_link(a: Screen, b: Screen, settings: DedupeSettings) -> bool:
    """False only when classify() is certain to find no link (see the module docstring)."""
    if not a.token_count or not b.token_count:
        return True  # compare() handles empty texts itself
    t = settings
    lighter = min(a.vocabulary_weight, b.vocabulary_weight)
    if not _reaches(lighter, t.min_content_weight):
        return False
    smaller_trigrams = min(len(a.trigrams), len(b.trigrams))
    if smaller_trigrams:
        shared_trigrams = len(np.intersect1d(a.trigrams, b.trigrams, assume_unique=True))
        if _reaches(shared_trigrams / smaller_trigrams, t.copy_containment):
            return True
    _, in_a, in_b = np.intersect1d(a.words, b.words, assume_unique=True, return_indices=True)
    weights = a.weights[in_a].astype(np.float64)
    vocabulary = float(weights.sum()) / lighter if lighter else 0.0
    if _reaches(vocabulary, min(t.rewrite_vocabulary, t.story_vocabulary)):
        return True
    if not a.norm or not b.norm:
        return False
    dot = float((a.counts[in_a].astype(np.float64) * b.counts[in_b] * weights**2).sum())
    return _reaches(dot / (a.norm * b.norm), t.story_cosine)
