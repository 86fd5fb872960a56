"""Which indexed articles a new one is verified against: the one ranking rule every candidate
index (pipeline/dedupe/candidate_index.py) is read with."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pipeline.config import DedupeSettings
from pipeline.dedupe.candidate_index import BucketKey
from pipeline.dedupe.fingerprint import Fingerprint


def rank_candidates(shared: Counter[int], settings: DedupeSettings) -> list[int]:
    """The articles to verify: most shared buckets first, ties by the older id."""
    kept = [i for i, n in shared.items() if n >= settings.min_shared_bands]
    return sorted(kept, key=lambda i: (-shared[i], i))[: settings.max_candidates]


def bucket_keys(fingerprints: Iterable[Fingerprint]) -> list[BucketKey]:
    return [
        (fp.scheme, band, bucket) for fp in fingerprints for band, bucket in enumerate(fp.band_keys)
    ]
