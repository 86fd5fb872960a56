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

Two implementations with the same answers (tests/dedupe/test_candidate_index.py):
- `MemoryCandidateIndex`, a dict of lists: for the articles of the batch being placed, which
  are added and probed one at a time, and for `newsdedup eval dedupe`;
- `ArrayCandidateIndex`, sorted numpy arrays of 8 bytes a key: for every stored article,
  rebuilt from the stored signatures and kept current by pipeline/dedupe/stored_index.py.
  It replaced the lsh_buckets table (sql/016), whose ~300 B-tree rows an article made every
  insert a random page write and every lookup ~300 random leaf reads (BENCHMARKS.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from pipeline.config import DedupeSettings
from pipeline.dedupe.fingerprint import fold_columns, run_firsts

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


MAX_ARTICLE_ID = 2**32 - 1  # ids are kept as uint32: 4 bytes a key rather than 8
_LOW32 = np.uint64(0xFFFFFFFF)
_HALF = np.uint64(32)


@dataclass
class _Segment:
    """Entries sorted by key, and within a key by article id (the order they were placed).

    A key is a (scheme, band) partition in its high 32 bits and the bucket's hash in its low
    32. Only the low halves are kept, partition by partition (`parts`, and where each starts
    in `keys`: `starts`), so an entry costs 8 bytes (its 32-bit hash and 32-bit id), not 12.
    Within a partition, two buckets share a hash with probability (entries in it) / 2**32: at
    a million stored articles, one probe in 4,000 meets a stranger's bucket, which adds one
    shared band to a random article where min_shared_bands asks for several."""

    parts: np.ndarray  # uint64: the partitions present, ascending
    starts: np.ndarray  # int64: where each partition starts in keys, and len(keys) last
    keys: np.ndarray  # uint32: the low halves
    ids: np.ndarray  # uint32
    generation: int  # when it was written: a removal of an article kills its older entries

    @classmethod
    def of(cls, keys: np.ndarray, ids: np.ndarray, generation: int) -> _Segment:
        """A segment of (full 64-bit key, id) entries ordered by key, then id."""
        partition = keys >> _HALF
        starts = np.flatnonzero(run_firsts(partition))
        return cls(
            partition[starts],
            np.append(starts, len(keys)),
            (keys & _LOW32).astype(np.uint32),
            ids,
            generation,
        )

    def full_keys(self) -> np.ndarray:
        """The entries' 64-bit keys (a transient array, for merging)."""
        partition = np.repeat(self.parts, np.diff(self.starts))
        return (partition << _HALF) | self.keys.astype(np.uint64)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.ids.nbytes + self.parts.nbytes + self.starts.nbytes)

    def bounds(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each of these keys (sorted) starts and ends in keys (equal when absent)."""
        low = np.zeros(len(wanted), np.int64)
        high = np.zeros(len(wanted), np.int64)
        if not len(self.keys) or not len(wanted):
            return low, high
        partition = wanted >> _HALF
        hashes = (wanted & _LOW32).astype(np.uint32)
        firsts = np.flatnonzero(run_firsts(partition))
        places = np.searchsorted(self.parts, partition[firsts])
        # One search a partition (a few hundred), each within its part of the arrays.
        for first, last, place in zip(
            firsts.tolist(), [*firsts[1:].tolist(), len(wanted)], places.tolist(), strict=True
        ):
            if place == len(self.parts) or self.parts[place] != partition[first]:
                continue
            begin, end = int(self.starts[place]), int(self.starts[place + 1])
            part = self.keys[begin:end]
            low[first:last] = begin + np.searchsorted(part, hashes[first:last], "left")
            high[first:last] = begin + np.searchsorted(part, hashes[first:last], "right")
        return low, high


def _sorted(keys: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entries ordered by key, then id. A stable sort by key alone does it when each key's ids
    come in ascending order (articles are added in the order they were placed; on two sorted
    runs, as in a merge, it is one linear pass); a revised article, added again under its old
    id, needs the full two-key sort."""
    order = np.argsort(keys, kind="stable")
    keys, ids = keys[order], ids[order]
    if np.any((keys[1:] == keys[:-1]) & (ids[1:] < ids[:-1])):
        order = np.lexsort((ids, keys))
        keys, ids = keys[order], ids[order]
    return keys, ids


class ArrayCandidateIndex:
    """Bucket keys in a few sorted segments, merged as they grow (a log-structured merge), so
    adding a batch costs a sort of the batch and, amortised, a few passes over the index.

    A key is its (scheme, band) in the high 32 bits and a 32-bit hash of its bucket in the low
    32 (_Segment says why that is enough). Removing an article (a revision's old text) marks
    its entries dead; they stop counting at once and are dropped when their segment is next
    merged, or all at once past `MAX_DEAD` marks.
    """

    MAX_DEAD = 256

    def __init__(self, settings: DedupeSettings) -> None:
        self.settings = settings
        self.segments: list[_Segment] = []
        self.dead: dict[int, int] = {}  # article id -> generation its live entries start at
        self.generation = 0
        self._schemes: dict[str, int] = {}

    def __len__(self) -> int:
        return sum(len(segment.keys) for segment in self.segments)

    @property
    def nbytes(self) -> int:
        return sum(segment.nbytes for segment in self.segments)

    def scheme_number(self, scheme: str) -> int:
        return self._schemes.setdefault(scheme, len(self._schemes) + 1)

    def fold(self, schemes: np.ndarray, bands: np.ndarray, buckets: np.ndarray) -> np.ndarray:
        """The 64-bit key of each (scheme number, band, bucket): the partition (scheme number,
        band) above, the low half of the three folded together (fingerprint.fold_columns)
        below."""
        if len(bands) and int(bands.max()) >= 1 << 16:
            raise ValueError("this index keeps at most 65,536 bands a scheme")
        hashed = fold_columns(
            column.astype(np.int64).view(np.uint64) for column in (schemes, bands, buckets)
        )
        partition = (schemes.astype(np.uint64) << np.uint64(16)) | bands.astype(np.uint64)
        return (partition << _HALF) | (hashed & _LOW32)

    def _keys_of(self, keys: Sequence[BucketKey]) -> np.ndarray:
        if not keys:
            return np.empty(0, dtype=np.uint64)
        schemes = np.fromiter((self.scheme_number(k[0]) for k in keys), np.int64, len(keys))
        bands = np.fromiter((k[1] for k in keys), np.int64, len(keys))
        buckets = np.fromiter((k[2] for k in keys), np.int64, len(keys))
        return self.fold(schemes, bands, buckets)

    def add(self, entries: Sequence[IndexEntry]) -> None:
        ids = np.fromiter((article_id for article_id, keys in entries for _ in keys), np.int64)
        self.add_keys(ids, self._keys_of([k for _, keys in entries for k in keys]))

    def add_keys(self, ids: np.ndarray, keys: np.ndarray, merge: bool = True) -> None:
        """Index (article id, key from fold) pairs; ids in the order the articles were placed.
        merge=False leaves the new segment unmerged: a build adds all its chunks, then
        merge_all() sorts once (cheaper than merging as it goes)."""
        if not len(ids):
            return
        if int(ids.max()) > MAX_ARTICLE_ID or int(ids.min()) < 0:
            raise OverflowError(f"article ids must lie in 0..{MAX_ARTICLE_ID} for this index")
        keys, ids = _sorted(keys, ids.astype(np.uint32))
        self.segments.append(_Segment.of(keys, ids, self.generation))
        self.generation += 1
        # Merge while the newest segment is at least half its elder: log2(n) segments at most.
        while (
            merge
            and len(self.segments) > 1
            and 2 * len(self.segments[-1].keys) >= len(self.segments[-2].keys)
        ):
            self.segments[-2:] = [self._merged(self.segments[-2:])]

    def merge_all(self) -> None:
        """One segment of everything (live entries only)."""
        if len(self.segments) > 1:
            self.segments = [self._merged(self.segments)]

    def remove(self, article_ids: Sequence[int]) -> None:
        """Forget the entries these articles have now (they are added again with new keys)."""
        for article_id in article_ids:
            self.dead[article_id] = self.generation
        self.generation += 1
        if len(self.dead) > self.MAX_DEAD:
            self.segments = [self._live(segment) for segment in self.segments]
            self.dead.clear()

    def _dead_mask(self, ids: np.ndarray, generation: int) -> np.ndarray:
        if not self.dead:
            return np.zeros(len(ids), dtype=bool)
        dead = np.fromiter((i for i, since in self.dead.items() if since > generation), np.int64)
        return np.isin(ids, dead)

    def _live_entries(self, segment: _Segment) -> tuple[np.ndarray, np.ndarray]:
        keep = ~self._dead_mask(segment.ids, segment.generation)
        return segment.full_keys()[keep], segment.ids[keep]

    def _live(self, segment: _Segment) -> _Segment:
        return _Segment.of(*self._live_entries(segment), segment.generation)

    def _merged(self, segments: Sequence[_Segment]) -> _Segment:
        """The live entries of these segments (oldest first) as one, as new as the newest."""
        live = [self._live_entries(segment) for segment in segments]
        keys, ids = _sorted(
            np.concatenate([k for k, _ in live]), np.concatenate([i for _, i in live])
        )
        return _Segment.of(keys, ids, segments[-1].generation)

    def shared_buckets(self, probes: Sequence[Sequence[BucketKey]]) -> list[Counter[int]]:
        rooms = list(_rooms(probes, self.settings))
        found: list[Counter[int]] = [Counter() for _ in probes]
        if not rooms or not self.segments:
            return found
        items = np.fromiter((r[0] for r in rooms), np.int64, len(rooms))
        keys = self._keys_of([r[1] for r in rooms])
        room = np.fromiter((r[2] for r in rooms), np.int64, len(rooms))
        probe_of, members = self._newest_members(keys, room)
        item_ids = (items[probe_of].astype(np.uint64) << np.uint64(32)) | members
        pairs, shared = np.unique(item_ids, return_counts=True)
        kept = shared >= self.settings.min_shared_bands
        for pair, count in zip(pairs[kept].tolist(), shared[kept].tolist(), strict=True):
            found[pair >> 32][pair & 0xFFFFFFFF] = count
        return found

    def _newest_members(self, keys: np.ndarray, room: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(probe, article id) of the newest `room[probe]` live members of each probed key."""
        probes: list[np.ndarray] = []
        members: list[np.ndarray] = []
        margin = len(self.dead)  # dead entries may take places: read that many more
        # Searched in key order: each search starts from the last one's place, so a large index
        # is walked in one direction rather than with a cache miss at every step.
        order = np.argsort(keys)
        wanted, places = keys[order], room[order]
        for segment in self.segments:
            low, high = segment.bounds(wanted)
            start = np.maximum(low, high - places - margin)
            lengths = high - start
            hit = lengths > 0
            if not hit.any():
                continue
            probe = np.repeat(order[hit], lengths[hit])  # the probe's place in the call
            # positions start..high-1 of each hit probe, all at once
            offsets = np.arange(len(probe)) - np.repeat(
                np.cumsum(lengths[hit]) - lengths[hit], lengths[hit]
            )
            ids = segment.ids[np.repeat(start[hit], lengths[hit]) + offsets]
            live = ~self._dead_mask(ids, segment.generation)
            probes.append(probe[live])
            members.append(ids[live])
        if not probes:
            return np.empty(0, np.int64), np.empty(0, np.uint64)
        probe = np.concatenate(probes)
        ids = np.concatenate(members).astype(np.uint64)
        # Across segments, per probe, newest first; keep the first room[probe].
        order = np.lexsort((-ids.astype(np.int64), probe))
        probe, ids = probe[order], ids[order]
        first = np.searchsorted(probe, probe, "left")
        keep = np.arange(len(probe)) - first < room[probe]
        return probe[keep], ids[keep]
