"""What `newsdedup eval stories` checks in the product's duplicate merges: the merges that
join two events, and the merges of two texts without a sentence in common (a copy or rewrite
keeps some sentence; two reports of one event need not)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.evaluation.story_store import StoredArticle
from pipeline.text.sentences import content_sentences
from pipeline.text.words import comparable

# A sentence shorter than this ("Police said.", a dateline) is shared by unrelated reports.
MIN_SENTENCE_WORDS = 4


@dataclass(frozen=True)
class Merge:
    """A stored duplicate and the canonical article it was collapsed onto."""

    duplicate: StoredArticle
    canonical: StoredArticle


def duplicate_merges(articles: Sequence[StoredArticle]) -> list[Merge]:
    by_id = {article.id: article for article in articles}
    return [
        Merge(article, by_id[article.canonical_id])
        for article in articles
        if article.canonical_id != article.id and article.canonical_id in by_id
    ]


def cross_event(merges: Sequence[Merge], labels: Mapping[str, str]) -> list[Merge]:
    """The merges of two labelled articles of different events."""
    return [
        merge
        for merge in merges
        if merge.duplicate.stem in labels
        and merge.canonical.stem in labels
        and labels[merge.duplicate.stem] != labels[merge.canonical.stem]
    ]


def sentence_keys(text: str) -> set[str]:
    """The text's sentences (boilerplate left out, as dedupe does), normalised: case, quotes,
    punctuation and spacing do not tell two renderings of one sentence apart."""
    keys = (comparable(sentence) for sentence in content_sentences(text))
    return {key for key in keys if len(key.split()) >= MIN_SENTENCE_WORDS}


def unshared(merges: Sequence[Merge]) -> list[Merge]:
    """The merges whose two bodies have no sentence in common."""
    return [
        merge
        for merge in merges
        if not sentence_keys(merge.duplicate.body) & sentence_keys(merge.canonical.body)
    ]
