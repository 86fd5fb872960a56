"""The product's stories replayed at other thresholds, to fit and cross-fit them.

A stream's articles, as ingest stored them, go once through the product's placement in memory
(evaluation/dedupe.MemoryIndex: candidates, verification, duplicates); the story assignment
(pipeline/dedupe/stories.py), which only reads what placement gave it, is then replayed at each
threshold in seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pipeline.config import Settings
from pipeline.dedupe.stories import StreamStories
from pipeline.evaluation.dedupe import MemoryIndex, Placed, assign_story
from pipeline.evaluation.story_store import StoredArticle

# story_join, the threshold of a story with no verified link into it; story_join_linked is
# kept at its setting, or at story_join when that is lower
JOIN_THRESHOLDS = tuple(round(0.15 + 0.05 * step, 2) for step in range(8))


def place_stream(articles: Sequence[StoredArticle], settings: Settings) -> list[Placed]:
    """Place the articles in their stored order, in memory, as ingest placed them."""
    index = MemoryIndex(settings)
    for article in articles:
        index.add(
            f"{article.title or ''}\n{article.body}",
            article.published_at,
            dated_story=not article.published_guessed,
        )
    return index.placed


def replay(placed: Sequence[Placed], settings: Settings) -> list[int]:
    """Each placed article's story, assigned again under `settings`."""
    stories = StreamStories(settings.dedupe)
    story: dict[int, int] = {}
    for p in placed:
        assign_story(stories, story, p)
    return [story[p.article_id] for p in placed]


def at_join_threshold(settings: Settings, join: float) -> Settings:
    dedupe = dataclasses.replace(
        settings.dedupe,
        story_join=join,
        story_join_linked=min(join, settings.dedupe.story_join_linked),
    )
    return dataclasses.replace(settings, dedupe=dedupe)
