"""Same story or not: a logistic regression over a pair's signals (verify.compare's scores).

Hand-set thresholds over the signals overfit the 141 English dev pairs they were set on (F1 0.86
there, 0.66 on held-back pairs of the same kind, below a plain TF-IDF cosine). The model weighs
the same signals, plus a semantic one (embedding.py) and shared names, from both dev pair sets
(English, and 1,122 pairs in nine other languages and across languages), fitted and
cross-validated by `newsdedup eval dedupe --fit` (pipeline/evaluation/story_fit.py), which
writes story_model.json. Only the coefficients ship; scikit-learn is needed to fit, not to
decide.

The model and its features are versioned like the MinHash schemes: every link it decided
names its version in the stored reason (article_matches.reason), its probability is kept with
the link's scores, and a model fitted on other features than this code computes is refused at
load.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MODEL_FILE = Path(__file__).with_name("story_model.json")


def _same(x: float) -> float:
    return x


def _at_least_zero(x: float) -> float:
    return max(x, 0.0)


# The model's inputs, in order: each is one of compare()'s scores, transformed (a missing title,
# -1, counts as none shared; a link scored before a signal existed lacks it: it reads as 0).
# The dev pairs are texts cut to ~1,000 characters, so the model reads the same view of every
# text: its opening (doc.OPENING_CHARACTERS), whatever its length. On whole texts a share of the
# shorter text's words grows with the other's length, and the model then linked unrelated
# full-length naeb articles by it. Only shares and similarities enter, never a length or a
# count, for the same reason (with the length ratio as a signal, synthetic same-story
# precision fell to 0.25).
FEATURES: dict[str, Callable[[float], float]] = {
    "opening_cosine": _same,
    "embedding": _same,
    "names": _same,
    "opening_vocabulary": _same,
    "opening_copy_containment": _same,
    "title_similarity": _at_least_zero,
}
FEATURE_NAMES = tuple(FEATURES)


def feature_vector(scores: Mapping[str, float]) -> list[float]:
    return [transform(scores.get(name, 0.0)) for name, transform in FEATURES.items()]


@dataclass(frozen=True)
class StoryModel:
    """A standardised logistic regression:
    p = sigmoid(intercept + sum(coef * (x - mean) / scale))."""

    version: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float  # same story at this probability or above
    fitted_on: dict[str, Any]  # what it was fitted and cross-validated on, for `explain`

    def __post_init__(self) -> None:
        if self.features != FEATURE_NAMES:
            raise ValueError(
                f"story model {self.version} was fitted on features {list(self.features)}, "
                f"this code computes {list(FEATURE_NAMES)}: fit it again "
                "(newsdedup eval dedupe --fit)"
            )

    def logit(self, features: Sequence[float]) -> float:
        return self.intercept + sum(
            c * (x - m) / s
            for c, x, m, s in zip(self.coef, features, self.mean, self.scale, strict=True)
        )

    def probability(self, scores: Mapping[str, float]) -> float:
        return _sigmoid(self.logit(feature_vector(scores)))

    def links(self, features: Sequence[float]) -> bool:
        """Same story, for a feature vector (FEATURE_NAMES in order)."""
        return _sigmoid(self.logit(features)) >= self.threshold

    def coefficient(self, feature: str) -> float:
        return self.coef[self.features.index(feature)]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoryModel:
        return cls(
            version=str(data["version"]),
            features=tuple(data["features"]),
            mean=tuple(map(float, data["mean"])),
            scale=tuple(map(float, data["scale"])),
            coef=tuple(map(float, data["coef"])),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            fitted_on=dict(data.get("fitted_on", {})),
        )


def _sigmoid(x: float) -> float:
    if x < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


@cache
def shipped() -> StoryModel:
    """The model that ships with this release (story_model.json beside this module)."""
    return StoryModel.from_json(json.loads(MODEL_FILE.read_text(encoding="utf-8")))
