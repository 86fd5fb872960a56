"""The first, cheap look verification takes at a pair: can it be linked at all?

Most LSH candidates of an article are unrelated: they share a name or two. Verification's full
comparison (pipeline/dedupe/verify.py, compare) aligns sentences and needs each text prepared
from its body, which costs more than finding the candidate did. The duplicate rules need word
3-gram containment or weighted vocabulary above a threshold, and the same-story model
(story_model.py) reads only signals of the two openings that need no sentence alignment: term
cosine, vocabulary, 3-gram containment, shared names, title words and the embedding. A Screen
holds all of that, for the text and for its opening, as sorted hash arrays: it is kept with
every stored article (table article_screens), so that a stored candidate's body is read and
prepared only when the screen passes, and the cost of an article does not grow with how often
its names recur in the corpus.

The screen may let through a pair that then turns out unrelated, never the other way round:
hashes can only add coincidental shared words, and thresholds are compared with a margin for
the last digits numpy's summation order changes.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

from pipeline.config import DedupeSettings
from pipeline.dedupe import story_model
from pipeline.dedupe.embedding import EMBEDDING_MODEL
from pipeline.dedupe.embedding import similarity as embedding_similarity
from pipeline.dedupe.fingerprint import FEATURE_HASHING, ngram_hashes, run_firsts, word_hashes
from pipeline.dedupe.story_model import StoryModel

# The stored format: a header, then word hashes (uint64), their counts (uint32), their weights
# (float32), their flags (uint8: NAME, TITLE) and the word 3-gram hashes (uint32), each array
# sorted by hash, then the text's embedding (float16). 32 bits are enough for 3-grams: a
# coincidental match among ~1,000 x 1,000 pairs of hashes is rare, and it could only raise
# containment, which the screen allows for. 17 bytes per distinct word, 4 per distinct 3-gram
# and 512 for the embedding.
# token_count, vocabulary_weight, norm, words, trigrams, embedding dimensions, then how many
# bytes the opening's screen that follows takes (0: the text is its own opening)
_HEADER = struct.Struct("<IddIIII")
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
    flags: np.ndarray  # uint8, NAME and TITLE bits: which words are names, which the title's
    trigrams: np.ndarray  # uint32 hashes of the distinct word 3-grams, sorted
    # float16: the embedding (embedding.py) of the opening, as compared (also by a Doc that
    # was not stored); empty in the screen of a text longer than its opening
    embedding: np.ndarray
    # The screen of the text's opening (doc.OPENING_CHARACTERS), which the same-story model
    # reads; None when the text is no longer than that.
    opening: Screen | None = None

    @property
    def story_view(self) -> Screen:
        return self.opening or self

    def to_bytes(self) -> bytes:
        opening = self.opening.to_bytes() if self.opening is not None else b""
        header = _HEADER.pack(
            self.token_count, self.vocabulary_weight, self.norm, len(self.words),
            len(self.trigrams), len(self.embedding), len(opening),
        )  # fmt: skip
        arrays = (
            self.words.astype("<u8"),
            self.counts.astype("<u4"),
            self.weights.astype("<f4"),
            self.flags.astype("u1"),
            self.trigrams.astype("<u4"),
            self.embedding.astype("<f2"),
        )
        return header + b"".join(a.tobytes() for a in arrays) + opening

    @classmethod
    def from_bytes(cls, data: bytes) -> Screen:
        token_count, vocabulary_weight, norm, n_words, n_trigrams, dimensions, opening_bytes = (
            _HEADER.unpack_from(data)
        )
        offset = _HEADER.size
        arrays = []
        layout = (("<u8", n_words), ("<u4", n_words), ("<f4", n_words), ("u1", n_words),
                  ("<u4", n_trigrams), ("<f2", dimensions))  # fmt: skip
        for dtype, count in layout:
            arrays.append(np.frombuffer(data, dtype=dtype, count=count, offset=offset))
            offset += arrays[-1].nbytes
        opening = cls.from_bytes(data[offset : offset + opening_bytes]) if opening_bytes else None
        words, counts, weights, flags, trigrams, embedding = arrays
        return cls(
            token_count, vocabulary_weight, norm, words, counts, weights, flags, trigrams,
            embedding, opening,
        )  # fmt: skip


# Stored with each screen: screens of another hashing or embedding model are not used (the
# body is prepared instead) until `newsdedup reindex` writes them again.
HASHING = f"{FEATURE_HASHING}+{EMBEDDING_MODEL}"
NAME, TITLE = 1, 2  # Screen.flags bits


def make_screen(
    words: list[str],
    weights: dict[str, float],
    vocabulary_weight: float,
    norm: float,
    embedding: np.ndarray,
    names: frozenset[str] = frozenset(),
    title_words: frozenset[str] = frozenset(),
    opening: Screen | None = None,
) -> Screen:
    """The screen of a text verify.prepare has tokenized (`words`) and weighed (`weights`),
    with its names and title words (Doc.names, Doc.title_words)."""
    token_hashes = np.array(word_hashes(words), dtype=np.uint64)
    order = np.argsort(token_hashes, kind="stable")
    ordered = token_hashes[order]
    starts = np.flatnonzero(run_firsts(ordered))
    counts = np.diff(np.append(starts, len(ordered)))
    distinct = [words[i] for i in order[starts].tolist()]
    vocabulary_weights = [weights[w] for w in distinct]
    flags = [NAME * (w in names) | TITLE * (w in title_words) for w in distinct]
    # The words scheme's feature hashes (compare() reads copy containment from them); a text
    # of fewer than 3 words has no 3-gram.
    if len(words) >= 3:
        trigrams = np.sort(ngram_hashes(token_hashes, 3))
        trigrams = trigrams[run_firsts(trigrams)]
    else:
        trigrams = np.empty(0, dtype=np.uint32)
    return Screen(
        token_count=len(words),
        vocabulary_weight=vocabulary_weight,
        norm=norm,
        words=ordered[starts],
        counts=counts.astype(np.uint32),
        weights=np.array(vocabulary_weights, dtype=np.float32),
        flags=np.array(flags, dtype=np.uint8),
        trigrams=trigrams.astype(np.uint32),
        embedding=np.asarray(embedding, dtype=np.float16),
        opening=opening,
    )


def _reaches(value: float, threshold: float) -> bool:
    return value >= threshold - _MARGIN


@dataclass(frozen=True)
class _Overlap:
    """What two screens share: the scores compare() computes from the same words."""

    copy_containment: float
    vocabulary: float
    cosine: float
    in_a: np.ndarray  # positions of the shared words in a.words ...
    in_b: np.ndarray  # ... and in b.words


def _overlap(a: Screen, b: Screen) -> _Overlap:
    smaller_trigrams = min(len(a.trigrams), len(b.trigrams))
    shared_trigrams = len(np.intersect1d(a.trigrams, b.trigrams, assume_unique=True))
    _, in_a, in_b = np.intersect1d(a.words, b.words, assume_unique=True, return_indices=True)
    weights = a.weights[in_a].astype(np.float64)
    lighter = min(a.vocabulary_weight, b.vocabulary_weight)
    cosine = 0.0
    if a.norm and b.norm:
        dot = float((a.counts[in_a].astype(np.float64) * b.counts[in_b] * weights**2).sum())
        cosine = dot / (a.norm * b.norm)
    return _Overlap(
        shared_trigrams / smaller_trigrams if smaller_trigrams else 0.0,
        float(weights.sum()) / lighter if lighter else 0.0,
        cosine,
        in_a,
        in_b,
    )


def may_link(
    a: Screen, b: Screen, settings: DedupeSettings, model: StoryModel | None = None
) -> bool:
    """False only when classify() is certain to find no link (see the module docstring)."""
    if not a.token_count or not b.token_count:
        return True  # compare() handles empty texts itself
    t = settings
    if not _reaches(min(a.vocabulary_weight, b.vocabulary_weight), t.min_content_weight):
        return False
    whole = _overlap(a, b)
    if _reaches(whole.copy_containment, t.copy_containment):
        return True  # may be a copy
    if _reaches(whole.vocabulary, t.rewrite_vocabulary):
        return True  # may be a rewrite (a duplicate, or a follow-up in the same story)
    # The same-story model reads the openings; every signal it reads is known here, and each
    # is moved by the margin in the direction that raises the probability.
    model = model or story_model.shipped()
    own_openings = a.opening is None and b.opening is None
    a, b = a.story_view, b.story_view
    opening = whole if own_openings else _overlap(a, b)
    known = {
        "opening_cosine": opening.cosine,
        "opening_vocabulary": opening.vocabulary,
        "opening_copy_containment": opening.copy_containment,
        "embedding": embedding_similarity(a.embedding, b.embedding),
        "names": _share(a, b, opening.in_a, opening.in_b, NAME),
        "title_similarity": _jaccard(a, b, opening.in_a, opening.in_b, TITLE),
    }
    favoured = {
        name: value + (_MARGIN if model.coefficient(name) > 0 else -_MARGIN)
        for name, value in known.items()
    }
    return model.probability(favoured) >= model.threshold


def _flagged(screen: Screen, flag: int) -> float:
    return float(screen.weights[(screen.flags & flag) > 0].astype(np.float64).sum())


def _share(a: Screen, b: Screen, in_a: np.ndarray, in_b: np.ndarray, flag: int) -> float:
    """verify.shared_names from the screens."""
    scale = math.sqrt(_flagged(a, flag) * _flagged(b, flag))
    both = ((a.flags[in_a] & flag) > 0) & ((b.flags[in_b] & flag) > 0)
    return float(a.weights[in_a][both].astype(np.float64).sum()) / scale if scale else 0.0


def _jaccard(a: Screen, b: Screen, in_a: np.ndarray, in_b: np.ndarray, flag: int) -> float:
    """verify.title_similarity from the screens (0 where compare() gives -1: no title)."""
    own, other = _flagged(a, flag), _flagged(b, flag)
    if not own or not other:
        return 0.0
    both = ((a.flags[in_a] & flag) > 0) & ((b.flags[in_b] & flag) > 0)
    shared = float(a.weights[in_a][both].astype(np.float64).sum())
    union = own + other - shared
    return shared / union if union else 0.0
