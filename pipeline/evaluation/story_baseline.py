"""The classic TDT online single-pass baseline for `newsdedup eval stories`.

TF-IDF vectors (sublinear tf, English stop words, min_df 2, fitted on the stream) of each
article's text; in arrival order each article joins the story whose centroid (the mean of its
members' vectors, renormalised) is most similar, among the stories active in the last
WINDOW_DAYS, when the cosine reaches the threshold, and starts a story otherwise.

The cosine with a centroid needs only the articles' pairwise similarities: x . sum(members)
is the sum of x's similarities to the members, and |sum|^2 grows by 2 x . sum + |x|^2 when x
joins. So the similarities are computed once and the pass replayed at any threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

THRESHOLD = 0.25
WINDOW_DAYS = 30.0
# Undated articles go last, as ingest places them in a batch (ingest.batch._placement_order).
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class BaselineDoc:
    key: str  # the file stem: breaks ties between articles of one date
    text: str
    published_at: datetime | None  # None: the article sees every story


class SinglePass:
    """One stream's articles in arrival order, with their pairwise cosines."""

    def __init__(self, docs: Sequence[BaselineDoc]) -> None:
        self.docs = sorted(docs, key=lambda d: (d.published_at or _FAR_FUTURE, d.key))
        vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2)
        try:
            vectors = vectorizer.fit_transform([d.text for d in self.docs])
        except ValueError:  # no word in two articles: nothing is similar to anything
            self.similarity = np.zeros((len(self.docs), len(self.docs)), dtype=np.float32)
        else:
            # float32: the matrix is n x n (a 10,000-article stream takes 400 MB)
            self.similarity = (vectors @ vectors.T).astype(np.float32).toarray()
        self.days = np.array(
            [d.published_at.timestamp() / 86400 if d.published_at else np.nan for d in self.docs]
        )

    def stories(self, threshold: float = THRESHOLD) -> dict[str, int]:
        """Each article's story (the arrival index of the story's first article)."""
        n = len(self.docs)
        story_of = np.zeros(n, dtype=np.int64)  # the index of its story in `norms`
        norms: list[float] = []  # |sum of the story's vectors|^2
        latest: list[float] = []  # the story's latest member's day (nan: none dated)
        first: list[int] = []
        for i in range(n):
            row = self.similarity[i]
            dots = np.bincount(story_of[:i], weights=row[:i], minlength=len(norms))
            best = self._best(dots, np.asarray(norms), np.asarray(latest), self.days[i])
            if best is not None and best[1] >= threshold:
                story = best[0]
                norms[story] += 2 * dots[story] + row[i]
                if not np.isnan(self.days[i]):
                    latest[story] = np.fmax(latest[story], self.days[i])
            else:
                story = len(norms)
                norms.append(float(row[i]))
                latest.append(float(self.days[i]))
                first.append(i)
            story_of[i] = story
        return {d.key: first[story_of[i]] for i, d in enumerate(self.docs)}

    @staticmethod
    def _best(
        dots: np.ndarray, norms: np.ndarray, latest: np.ndarray, day: float
    ) -> tuple[int, float] | None:
        """The most similar active story and its cosine (the article's vector has norm 1, or
        0 when none of its words is in the vocabulary)."""
        if not len(dots):
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            cosines = np.where(norms > 0, dots / np.sqrt(norms), 0.0)
        if not np.isnan(day):
            active = np.isnan(latest) | (day - latest <= WINDOW_DAYS)
            cosines = np.where(active, cosines, -np.inf)
        story = int(np.argmax(cosines))
        return story, float(cosines[story])
