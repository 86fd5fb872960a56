"""The extraction metric of the ScrapingHub article-extraction benchmark (datasets README).

Per document, the multisets of word 4-gram shingles of gold and prediction give tp, fp and fn;
precision and recall are averaged over documents and F1 is the harmonic mean of the two
averages. Tokens are `\\w+` matches, case-sensitive; a text of fewer than four tokens gives one
shorter shingle. This reproduces the README's trafilatura baselines to the fourth decimal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.text.words import comparable, words

SHINGLE_SIZE = 4


def shingles(text: str | None, size: int = SHINGLE_SIZE) -> Counter[str]:
    tokens = words(text or "")
    return Counter(
        " ".join(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1)) if tokens
    )


def precision_recall(gold: str | None, predicted: str | None) -> tuple[float, float]:
    """One document's precision and recall; an empty side scores 0 on the ratio it divides."""
    gold_shingles, predicted_shingles = shingles(gold), shingles(predicted)
    true_positives = sum((gold_shingles & predicted_shingles).values())
    predicted_total = sum(predicted_shingles.values())
    gold_total = sum(gold_shingles.values())
    precision = true_positives / predicted_total if predicted_total else 0.0
    recall = true_positives / gold_total if gold_total else 0.0
    return precision, recall


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    documents: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score(pairs: Iterable[tuple[str | None, str | None]]) -> Score:
    """Average the per-document figures over (gold, predicted) pairs."""
    precisions: list[float] = []
    recalls: list[float] = []
    for gold, predicted in pairs:
        precision, recall = precision_recall(gold, predicted)
        precisions.append(precision)
        recalls.append(recall)
    count = len(precisions)
    if not count:
        return Score(0.0, 0.0, 0)
    return Score(sum(precisions) / count, sum(recalls) / count, count)


@dataclass(frozen=True)
class GoldText:
    """A page's gold text, indexed the ways gold_share looks it up."""

    tokens: str  # the gold's words, casefolded, space-separated and space-padded
    grams: frozenset[str]
    lines: frozenset[str]

    @classmethod
    def of(cls, text: str) -> GoldText:
        tokens = [t.casefold() for t in words(text)]
        grams = (" ".join(tokens[i : i + SHINGLE_SIZE]) for i in range(len(tokens) - 3))
        lines = (comparable(line) for line in text.splitlines())
        return cls(f" {' '.join(tokens)} ", frozenset(grams), frozenset(lines))


def gold_share(text: str, gold: GoldText) -> float:
    """The share of a removed line that is gold text: of its word 4-grams, the share the gold
    holds (casefolded); a line of two or three words is gold when the gold holds it as a run of
    words, a line of one word only as a whole line of the gold (any common word occurs
    somewhere)."""
    tokens = [t.casefold() for t in words(text)]
    if not tokens:
        return 0.0
    if len(tokens) == 1:
        return 1.0 if comparable(text) in gold.lines else 0.0
    if len(tokens) < SHINGLE_SIZE:
        return 1.0 if f" {' '.join(tokens)} " in gold.tokens else 0.0
    grams = [" ".join(tokens[i : i + SHINGLE_SIZE]) for i in range(len(tokens) - 3)]
    return sum(gram in gold.grams for gram in grams) / len(grams)
