"""Deciding, for a new article, whether it duplicates a stored one or covers the same story.

LSH (pipeline/fingerprint.py, buckets in Postgres) proposes candidates; this module verifies
each candidate with signals that tell a rewrite of one text from independent coverage, and
keeps every score so that a link can be explained later (`newsdedup explain`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.config import DedupeSettings
from pipeline.fingerprint import content_terms, tokens, word_shingles
from pipeline.models import StoredArticle

DUPLICATE = "duplicate"
SAME_STORY = "same_story"

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
MIN_SENTENCE_WORDS = 5
SENTENCE_MATCH = 0.25
MAX_SHARED_PASSAGES = 5


def sentences(text: str) -> list[str]:
    found: list[str] = []
    for paragraph in text.split("\n"):
        found.extend(
            s.strip()
            for s in _SENTENCE_END.split(paragraph)
            if len(tokens(s)) >= MIN_SENTENCE_WORDS
        )
    return found


def _jaccard(a: set[bytes], b: set[bytes]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _containment(a: set[bytes], b: set[bytes]) -> float:
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0


@dataclass
class Comparison:
    scores: dict[str, float]
    shared_passages: list[str] = field(default_factory=list)


def compare(text_a: str, text_b: str) -> Comparison:
    """All the pairwise signals dedupe decides on; each in [0, 1]."""
    terms_a, terms_b = content_terms(text_a), content_terms(text_b)
    sentences_a, sentences_b = sentences(text_a), sentences(text_b)
    aligned, passages = _sentence_alignment(sentences_a, sentences_b)
    return Comparison(
        scores={
            "shingle_containment": round(
                _containment(word_shingles(text_a, 3), word_shingles(text_b, 3)), 4
            ),
            "bigram_containment": round(
                _containment(word_shingles(text_a, 2), word_shingles(text_b, 2)), 4
            ),
            "terms_jaccard": round(_jaccard(terms_a, terms_b), 4),
            "terms_containment": round(_containment(terms_a, terms_b), 4),
            "sentence_alignment": round(aligned, 4),
        },
        shared_passages=passages,
    )


def _sentence_alignment(a: list[str], b: list[str]) -> tuple[float, list[str]]:
    """Share of the shorter text's sentences that have a close counterpart in the other."""
    if not a or not b:
        return 0.0, []
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    longer_terms = [content_terms(s) for s in longer]
    matched: list[tuple[float, str]] = []
    for sentence in shorter:
        terms = content_terms(sentence)
        best = max((_jaccard(terms, other) for other in longer_terms), default=0.0)
        if best >= SENTENCE_MATCH:
            matched.append((best, sentence))
    passages = [s for _score, s in sorted(matched, reverse=True)[:MAX_SHARED_PASSAGES]]
    return len(matched) / len(shorter), passages


def classify(scores: dict[str, float], settings: DedupeSettings) -> str | None:
    """duplicate, same_story or None (unrelated)."""
    if scores["shingle_containment"] >= settings.duplicate_threshold:
        return DUPLICATE
    if scores["sentence_alignment"] >= 0.25 and scores["bigram_containment"] >= 0.2:
        return DUPLICATE
    if scores["terms_containment"] >= settings.same_story_threshold:
        return SAME_STORY
    return None


@dataclass
class Match:
    candidate: StoredArticle
    level: str
    similarity: float
    method: str
    comparison: Comparison


def best_match(
    body: str, candidates: list[StoredArticle], settings: DedupeSettings
) -> Match | None:
    """The strongest link for a new article: any duplicate beats any same-story link."""
    best: Match | None = None
    for candidate in candidates:
        comparison = compare(body, candidate.body)
        level = classify(comparison.scores, settings)
        if level is None:
            continue
        similarity = max(
            comparison.scores["shingle_containment"], comparison.scores["sentence_alignment"]
        )
        match = Match(candidate, level, similarity, "minhash_lsh+verify", comparison)
        if best is None or (level == DUPLICATE, similarity) > (
            best.level == DUPLICATE,
            best.similarity,
        ):
            best = match
    return best
