"""The candidate index of every stored article, held by each placing process and kept equal to
the committed fingerprints (sql/016 says why it is not a table).

It is built once per process from the stored signatures, when the first batch is decided
(outside the dedupe lock: a million articles take about two minutes), then caught up at each
batch: every fingerprint row written after its high-water mark is another process's article
(indexed) or revision (its old entries forgotten first). Writers hold the dedupe lock until
they commit, so the committed rows always end at a high-water mark, and a batch decided
against it is still right under the lock if the mark has not moved (place.still_current).
Only committed rows are read, so a batch that rolls back leaves no trace here; the articles
this process placed are read back at its next batch like any other's. Band keys are found
again from the signatures (fingerprint.band_key_matrix), so the index is exactly what the
signatures say, and a lookup costs about the same at any corpus size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline import store
from pipeline.config import DedupeSettings, FingerprintSettings
from pipeline.dedupe.candidate_index import ArrayCandidateIndex
from pipeline.dedupe.fingerprint import band_key_matrix, scheme_keys, schemes
from pipeline.store import Cursor
from pipeline.store.fingerprints import FingerprintRows


@dataclass
class _Held:
    origin: str
    fingerprint: FingerprintSettings
    dedupe: DedupeSettings
    index: ArrayCandidateIndex
    seen: int  # the newest change_seq indexed
    newest_id: int  # the highest article id indexed: a lower one seen again is a revision


_HELD: _Held | None = None  # one database at a time per process


def forget() -> None:
    """Drop this process's index (its memory); the next batch builds it again."""
    global _HELD
    _HELD = None


def indexed_through() -> int:
    """The newest change_seq this process's index holds (0 without an index)."""
    return _HELD.seen if _HELD is not None else 0


def stored_index(
    cur: Cursor, fingerprint: FingerprintSettings, dedupe: DedupeSettings
) -> ArrayCandidateIndex:
    """The index of every article committed now (indexed_through() says up to which
    change_seq)."""
    held, committed = _held(cur, fingerprint, dedupe)
    rows, newest = store.fingerprints_after(cur, scheme_keys(fingerprint), held.seen)
    revised = sorted(
        {i for found in rows.values() for i in found.article_ids if i <= held.newest_id}
    )
    if revised:
        held.index.remove(revised)
    _add(held, rows)
    # rows of other schemes (none while ingest runs: store.use_schemes) count as seen too
    held.seen = max(newest, committed)
    return held.index


def _held(
    cur: Cursor, fingerprint: FingerprintSettings, dedupe: DedupeSettings
) -> tuple[_Held, int]:
    """This process's index (built now if it has none of this database) and the newest
    change_seq committed when it was asked for."""
    global _HELD
    origin, newest = store.index_origin(cur)
    held = _HELD
    if (
        held is None
        or (held.origin, held.fingerprint, held.dedupe) != (origin, fingerprint, dedupe)
        or held.seen > newest  # the rows it was built from are gone (a restored backup)
    ):
        _HELD = None  # the old index's memory is freed before the new one is built
        held = _Held(origin, fingerprint, dedupe, ArrayCandidateIndex(dedupe), newest, 0)
        for rows in store.fingerprints_up_to(cur, scheme_keys(fingerprint), newest):
            _add(held, rows, merge=False)
        held.index.merge_all()
        _HELD = held
    return held, newest


def _add(held: _Held, rows: dict[str, FingerprintRows], merge: bool = True) -> None:
    """Index these signatures, all schemes in one segment, in article id order."""
    ids: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    for scheme in schemes(held.fingerprint):
        key = scheme.key(held.fingerprint)
        found = rows.get(key)
        if found is None:
            continue
        signatures = np.frombuffer(b"".join(found.signatures), dtype="<u4").reshape(
            len(found.signatures), scheme.num_perm
        )
        # A text without features has an all-empty signature and no band keys (fingerprint()).
        featured = ~(signatures == 0xFFFFFFFF).all(axis=1)
        buckets = band_key_matrix(signatures[featured], scheme.bands, scheme.rows)
        article_ids = np.asarray(found.article_ids, dtype=np.int64)[featured]
        count, bands = buckets.shape
        number = held.index.scheme_number(key)
        keys.append(
            held.index.fold(
                np.full(count * bands, number, dtype=np.int64),
                np.tile(np.arange(bands, dtype=np.int64), count),
                buckets.reshape(-1),
            )
        )
        ids.append(np.repeat(article_ids, bands))
        if len(article_ids):
            held.newest_id = max(held.newest_id, int(article_ids.max()))
    if ids:
        held.index.add_keys(np.concatenate(ids), np.concatenate(keys), merge)
