"""Story state (sql/020): the stories' centroids, the stream's word counts, and why each article
joined its story. Rows in, rows out: what a centroid means is pipeline/dedupe/stories.py's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg2.extras

from pipeline.store.bulk import int_array, real_array, text_array
from pipeline.store.database import Cursor

ALL_ARTICLES = ""  # the word whose count is every article placed


@dataclass
class CentroidRow:
    story_id: int
    words: list[str]
    weights: list[float]
    articles: int
    first_at: datetime | None
    last_at: datetime | None


def story_centroids(cur: Cursor, story_ids: Iterable[int]) -> list[CentroidRow]:
    cur.execute(
        """SELECT story_id, words, weights, articles, first_at, last_at FROM story_centroids
           WHERE story_id = ANY(%s)""",
        (sorted(set(story_ids)),),
    )
    return [CentroidRow(*row) for row in cur.fetchall()]


def save_centroids(cur: Cursor, rows: Sequence[CentroidRow]) -> None:
    psycopg2.extras.execute_values(
        cur,
        """INSERT INTO story_centroids (story_id, words, weights, articles, first_at, last_at)
           VALUES %s ON CONFLICT (story_id) DO UPDATE
           SET words = EXCLUDED.words, weights = EXCLUDED.weights,
               articles = EXCLUDED.articles, first_at = EXCLUDED.first_at,
               last_at = EXCLUDED.last_at""",
        [_centroid_values(r) for r in rows],
        template="(%s, %s::text[], %s::real[], %s, %s, %s)",
    )


def _centroid_values(row: CentroidRow) -> tuple[object, ...]:
    words, weights = text_array(row.words), real_array(row.weights)
    return (row.story_id, words, weights, row.articles, row.first_at, row.last_at)


def word_counts(cur: Cursor, words: Iterable[str]) -> tuple[int, dict[str, int]]:
    """(articles placed, {word: articles using it}) for these words."""
    cur.execute(
        "SELECT word, articles FROM story_word_counts WHERE word = ANY(%s::text[])",
        (text_array(sorted({*words, ALL_ARTICLES})),),
    )
    counts = {word: int(n) for word, n in cur.fetchall()}
    return counts.pop(ALL_ARTICLES, 0), counts


def add_word_counts(cur: Cursor, articles: int, counts: Mapping[str, int]) -> None:
    """Add a batch's counts (`articles` placed, `counts` of them using each word)."""
    if not articles:
        return
    added = sorted([*counts.items(), (ALL_ARTICLES, articles)])
    cur.execute(
        """INSERT INTO story_word_counts (word, articles)
           SELECT * FROM unnest(%s::text[], %s::bigint[]) ON CONFLICT (word)
           DO UPDATE SET articles = story_word_counts.articles + EXCLUDED.articles""",
        (text_array(w for w, _ in added), int_array(n for _, n in added)),
    )


def save_assignments(
    cur: Cursor, rows: Sequence[tuple[int, int, float, int | None, float, str]]
) -> None:
    """(article_id, story_id, score, runner_up, runner_up_score, reason) of placed articles."""
    psycopg2.extras.execute_values(
        cur,
        """INSERT INTO story_assignments
           (article_id, story_id, score, runner_up, runner_up_score, reason) VALUES %s""",
        rows,
    )


Assignment = tuple[int, float, int | None, float, str]


def story_assignment(cur: Cursor, article_id: int) -> Assignment | None:
    """(story_id, score, runner_up, runner_up_score, reason) of one article, if recorded."""
    cur.execute(
        """SELECT story_id, score, runner_up, runner_up_score, reason FROM story_assignments
           WHERE article_id = %s""",
        (article_id,),
    )
    row = cur.fetchone()
    return None if row is None else (int(row[0]), float(row[1]), row[2], float(row[3]), row[4])
