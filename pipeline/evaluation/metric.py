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

from pipeline.text.words import words

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
