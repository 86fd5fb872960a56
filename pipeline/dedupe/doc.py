"""A text as verification sees it (a Doc): its words and their rarity, the sentences long enough
to align, where its lead starts, its names, and the screen stored with it. Computed once per
text; pipeline/dedupe/verify.py compares two of them."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from pipeline.dedupe.embedding import embed_one
from pipeline.dedupe.fingerprint import word_weights
from pipeline.dedupe.screen import Screen, make_screen
from pipeline.text.sentences import content_sentences
from pipeline.text.words import tokens

# Shorter sentences (titles, list items, captions, boilerplate lines) are not aligned: they
# match by chance.
MIN_SENTENCE_TOKENS = 8
# The same-story model reads a text's opening: its leading sentences, this many characters at
# most. The texts of the pairs it is fitted on are cut at 1,000 to 1,200 (median 1,046, with
# their title). News puts the event first, so the opening is also where two reports meet.
OPENING_CHARACTERS = 1100
# A capitalised word after a lower-case word or a comma: a name, not a sentence's first word.
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][\w'’-]+")


def weight_of(words: Iterable[str], weights: dict[str, float]) -> float:
    return sum(weights[w] for w in words)


@dataclass(frozen=True)
class Doc:
    """What verification needs of one text, computed once per text."""

    token_count: int
    tf: Counter[str]
    # fingerprint.weight of every word in tf: verification sums weights over and over (sentence
    # pairs, shared words), and a dict lookup costs a fraction of the cached call
    weights: dict[str, float]
    vocabulary_weight: float
    norm: float  # L2 norm of the tf * weight vector
    sentences: tuple[str, ...]  # the sentences long enough to align
    sentence_words: tuple[frozenset[str], ...]
    sentence_weights: tuple[float, ...]  # the weight of each sentence's words
    screen: Screen  # what may_link needs, the part of a Doc stored with each article
    published_at: datetime | None = None
    lead_from: int = 0  # sentences[lead_from] opens the body (those before are the title's)
    title_words: frozenset[str] = frozenset()  # empty when the text was given no title
    # Words the text writes capitalised inside a sentence: its names and places. A lead is
    # compared without them (verify.lead_novelty), since a follow-up names the same people.
    names: frozenset[str] = frozenset()
    opening: Doc | None = None  # the Doc of the text's opening; None: the text is no longer

    @property
    def story_view(self) -> Doc:
        """What the same-story model compares: the opening (story_model.FEATURES)."""
        return self.opening or self


def prepare(
    text: str,
    published_at: datetime | None = None,
    title: str | None = None,
    embedding: np.ndarray | None = None,
) -> Doc:
    """A text's Doc; `title`, when the text opens with it (pipeline.dedupe.compared), marks
    where the body's lead starts: a follow-up's reworded headline matches its base's.
    `embedding`: the vector of the text's opening when it is stored already (its screen's),
    else computed (of embedding_text)."""
    content = content_sentences(text)
    found = _Sentences(
        content,
        [tokens(s) for s in content],  # the text's words, sentence by sentence
        [tokens(" ".join(_NAME.findall(s))) for s in content],
    )
    title_tokens = tokens(title) if title else []
    lead_from = _alignable(title) if title else 0
    size = _opening_size(content)
    leading = _Sentences(content[:size], found.tokens[:size], found.names[:size])
    vector = embed_one(" ".join(leading.text)) if embedding is None else embedding
    if size == len(content):  # the text is its own opening
        return _doc(found, published_at, title_tokens, lead_from, vector, None)
    opening = _doc(leading, published_at, title_tokens, lead_from, vector, None)
    return _doc(found, published_at, title_tokens, lead_from, np.empty(0), opening)


def embedding_text(text: str) -> str:
    """What prepare embeds of a text: its opening's sentences."""
    content = content_sentences(text)
    return " ".join(content[: _opening_size(content)])


@dataclass(frozen=True)
class _Sentences:
    text: list[str]
    tokens: list[list[str]]
    names: list[list[str]]  # the words of each sentence's names


def _opening_size(content: list[str]) -> int:
    """How many leading sentences make the opening: as many as fit in OPENING_CHARACTERS
    (joined by a space), at least one."""
    length = 0
    for i, sentence in enumerate(content):
        length += len(sentence) + (1 if i else 0)
        if length > OPENING_CHARACTERS:
            return max(i, 1)
    return len(content)


def _doc(
    found: _Sentences,
    published_at: datetime | None,
    title_tokens: list[str],
    lead_from: int,
    embedding: np.ndarray,
    opening: Doc | None,
) -> Doc:
    words = [w for sentence in found.tokens for w in sentence]
    tf = Counter(words)
    kept = [(s, frozenset(t)) for s, t in zip(found.text, found.tokens, strict=True)]
    kept = [(s, t) for s, t in kept if len(t) >= MIN_SENTENCE_TOKENS]
    weights = word_weights(tf)
    vocabulary_weight = sum(weights.values())
    norm = math.sqrt(sum((count * weights[w]) ** 2 for w, count in tf.items()))
    sentence_words = tuple(t for _, t in kept)
    names = frozenset(w for sentence in found.names for w in sentence if w in weights)
    title_words = frozenset(w for w in title_tokens if w in weights)
    return Doc(
        token_count=len(words),
        tf=tf,
        weights=weights,
        vocabulary_weight=vocabulary_weight,
        norm=norm,
        sentences=tuple(s for s, _ in kept),
        sentence_words=sentence_words,
        sentence_weights=tuple(weight_of(t, weights) for t in sentence_words),
        screen=make_screen(
            words,
            weights,
            vocabulary_weight,
            norm,
            embedding,
            names,
            title_words,
            opening.screen if opening is not None else None,
        ),
        published_at=published_at,
        lead_from=lead_from,
        title_words=title_words,
        names=names,
        opening=opening,
    )


def _alignable(text: str) -> int:
    """How many of a text's sentences are long enough to align."""
    return sum(len(set(tokens(s))) >= MIN_SENTENCE_TOKENS for s in content_sentences(text))
