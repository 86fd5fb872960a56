"""Site-level boilerplate learned from the articles themselves.

A line that recurs in several different articles of one site (a promo, a standing disclaimer,
a newsletter pitch worded the way only that outlet words it) is that site's furniture, even
when no general rule knows its wording. The counts live in Postgres (pipeline/store/), grow
with every run and are shared by every worker; this module holds the logic both the database
and the in-memory index (used by `newsdedup eval`) follow.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.text.words import comparable

# A line must be seen in this many different articles of a site before it is removed from the
# next ones: two could be a follow-up quoting its predecessor, three is a habit of the site.
MIN_ARTICLES = 3
MIN_KEY_CHARS = 3


def line_key(text: str) -> str | None:
    """The key a line is counted under: one per wording, whatever the case or punctuation."""
    normal = comparable(text)
    if len(normal) < MIN_KEY_CHARS:
        return None
    return hashlib.blake2b(normal.encode("utf-8"), digest_size=12).hexdigest()


def line_keys(texts: Iterable[str]) -> set[str]:
    """Each distinct line of one article once: a line repeated inside one article counts once."""
    return {key for key in map(line_key, texts) if key is not None}


@dataclass
class SiteBoilerplate:
    """Known boilerplate keys per site; `known` for cleaning, `learn` after storing."""

    counts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    min_articles: int = MIN_ARTICLES

    def known(self, site: str) -> frozenset[str]:
        return frozenset(
            key for key, seen in self.counts.get(site, {}).items() if seen >= self.min_articles
        )

    def learn(self, site: str, keys: Iterable[str]) -> None:
        site_counts = self.counts[site]
        for key in set(keys):
            site_counts[key] = site_counts.get(key, 0) + 1
