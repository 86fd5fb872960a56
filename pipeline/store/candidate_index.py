"""The seam for LSH candidate lookup, as datasketch keeps its bucket storage behind storage.py.

An index maps bucket keys (scheme, band, bucket) to the articles that have them, in the order
they were placed, and answers one question: for each probe of a batch (one article's keys,
in the order the batch's articles are placed), which indexed articles share at least
`min_shared_bands` of its buckets, and how many. Only a bucket's newest `bucket_newest`
members count, and an earlier probe of the same call that has the key takes one of those
places (its article is placed first, so it is the newest member then): a lookup reads at most
that many members of a bucket, however large the corpus grows, and a batch is answered as if
its articles were placed one by one. Ranking what was found is dedupe's
(pipeline/dedupe/candidates.rank_candidates), the same for every index.

Two implementations: `PostgresCandidateIndex` over the `lsh_buckets` table, which ingest uses,
and `MemoryCandidateIndex`, which `newsdedup eval dedupe` and the articles of a batch being
placed use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.config import DedupeSettings
from pipeline.store.bulk import copy_lines, int_array
from pipeline.store.database import Cursor

BucketKey = tuple[str, int, int]  # scheme, band, bucket
IndexEntry = tuple[int, Sequence[BucketKey]]  # an article id and its bucket keys


class CandidateIndex(Protocol):
    def shared_buckets(self, probes: Sequence[Sequence[BucketKey]]) -> list[Counter[int]]:
        """Per probe, article id -> buckets shared (only ids sharing min_shared_bands)."""
        ...

    def add(self, entries: Sequence[IndexEntry]) -> None:
        """Index these articles' keys, in this order (the order they were placed)."""
        ...


def _rooms(
    probes: Sequence[Sequence[BucketKey]], settings: DedupeSettings
) -> Iterator[tuple[int, BucketKey, int]]:
    """(probe, key, room): how many of the key's indexed members count for that probe, where
    earlier probes of the call with the same key took their places first."""
    seen: Counter[BucketKey] = Counter()
    for item, keys in enumerate(probes):
        for key in keys:
            room = settings.bucket_newest - seen[key]
            if room > 0:
                yield item, key, room
        seen.update(keys)


@dataclass
class MemoryCandidateIndex:
    settings: DedupeSettings
    buckets: dict[BucketKey, list[int]] = field(default_factory=dict)

    def shared_buckets(self, probes: Sequence[Sequence[BucketKey]]) -> list[Counter[int]]:
        found: list[Counter[int]] = [Counter() for _ in probes]
        for item, key, room in _rooms(probes, self.settings):
            members = self.buckets.get(key)
            if members:
                found[item].update(members[-room:])
        least = self.settings.min_shared_bands
        return [Counter({i: n for i, n in shared.items() if n >= least}) for shared in found]

    def add(self, entries: Sequence[IndexEntry]) -> None:
        for article_id, keys in entries:
            for key in keys:
                self.buckets.setdefault(key, []).append(article_id)


class PostgresCandidateIndex:
    """lsh_buckets, read with a backward scan of its index per probed bucket (newest first)."""

    def __init__(
        self, cur: Cursor, scheme_ids: Mapping[str, int], settings: DedupeSettings
    ) -> None:
        self.cur = cur
        self.scheme_ids = scheme_ids  # what store.use_schemes returned for the current schemes
        self.settings = settings

    def shared_buckets(self, probes: Sequence[Sequence[BucketKey]]) -> list[Counter[int]]:
        columns: tuple[list[int], list[int], list[int], list[int], list[int]] = ([], [], [], [], [])
        items, schemes, bands, buckets, rooms = columns
        for item, (scheme, band, bucket), room in _rooms(probes, self.settings):
            if scheme in self.scheme_ids:
                items.append(item)
                schemes.append(self.scheme_ids[scheme])
                bands.append(band)
                buckets.append(bucket)
                rooms.append(room)
        self.cur.execute(
            """WITH probe AS (
                   SELECT * FROM unnest(%s::int[], %s::smallint[], %s::smallint[], %s::bigint[],
                                        %s::int[]) AS p(item, scheme_id, band, bucket, room))
               SELECT p.item, l.article_id, count(*) AS shared
               FROM probe p CROSS JOIN LATERAL (
                   SELECT b.article_id FROM lsh_buckets b
                   WHERE b.scheme_id = p.scheme_id AND b.band = p.band AND b.bucket = p.bucket
                   ORDER BY b.article_id DESC LIMIT p.room) l
               GROUP BY p.item, l.article_id HAVING count(*) >= %s""",
            (*map(int_array, columns), self.settings.min_shared_bands),
        )
        found: list[Counter[int]] = [Counter() for _ in probes]
        for item, article_id, shared in self.cur.fetchall():
            found[item][int(article_id)] = int(shared)
        return found

    def add(self, entries: Sequence[IndexEntry]) -> None:
        # ~300 rows an article, all integers: formatted directly rather than value by value
        copy_lines(
            self.cur,
            "lsh_buckets",
            "scheme_id, band, bucket, article_id",
            _bucket_lines(entries, self.scheme_ids),
        )

    def remove(self, entries: Sequence[IndexEntry]) -> None:
        """Take articles out of the buckets they were added to (a revised article's old text)."""
        rows = [
            (self.scheme_ids[scheme], band, bucket, article_id)
            for article_id, keys in entries
            for scheme, band, bucket in keys
            if scheme in self.scheme_ids
        ]
        if not rows:
            return
        self.cur.execute(
            """DELETE FROM lsh_buckets l
               USING unnest(%s::smallint[], %s::smallint[], %s::bigint[], %s::bigint[])
                     AS gone(scheme_id, band, bucket, article_id)
               WHERE (l.scheme_id, l.band, l.bucket, l.article_id)
                   = (gone.scheme_id, gone.band, gone.bucket, gone.article_id)""",
            tuple(int_array(column) for column in zip(*rows, strict=True)),
        )


def _bucket_lines(entries: Iterable[IndexEntry], scheme_ids: Mapping[str, int]) -> Iterator[str]:
    for article_id, keys in entries:
        for scheme, band, bucket in keys:
            yield f"{scheme_ids[scheme]}\t{band}\t{bucket}\t{article_id}\n"
