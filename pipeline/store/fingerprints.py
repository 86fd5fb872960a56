"""article_fingerprints read in bulk, as the in-memory candidate index is built and caught up
(pipeline/dedupe/stored_index.py; sql/016 says why the index left the database)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pipeline.store.database import Cursor


@dataclass(frozen=True)
class FingerprintRows:
    """Signatures of one scheme, row i of each list belonging together."""

    article_ids: list[int]
    signatures: list[bytes]


def index_origin(cur: Cursor) -> tuple[str, int]:
    """(this database's origin id, the newest change_seq committed): what an index built now
    is built from, and the high-water mark it is caught up to."""
    cur.execute(
        """SELECT (SELECT origin::text FROM candidate_index_origin),
                  (SELECT COALESCE(max(change_seq), 0) FROM article_fingerprints)"""
    )
    row = cur.fetchone()
    assert row is not None  # one row, always
    return str(row[0]), int(row[1])


def fingerprints_up_to(
    cur: Cursor, schemes: Sequence[str], newest: int, chunk: int = 20_000
) -> Iterator[dict[str, FingerprintRows]]:
    """Every stored signature of these schemes written at or before `newest`, per scheme, a
    range of `chunk` article ids at a time in id order (each a range scan of the primary key)."""
    cur.execute("SELECT COALESCE(max(article_id), 0) FROM article_fingerprints")
    row = cur.fetchone()
    last = int(row[0]) if row else 0
    for after in range(0, last, chunk):
        cur.execute(
            """SELECT article_id, scheme, signature FROM article_fingerprints
               WHERE article_id > %s AND article_id <= %s AND scheme = ANY(%s)
                 AND change_seq <= %s
               ORDER BY article_id""",
            (after, after + chunk, list(schemes), newest),
        )
        yield _by_scheme(cur.fetchall())


def fingerprints_after(
    cur: Cursor, schemes: Sequence[str], seen: int
) -> tuple[dict[str, FingerprintRows], int]:
    """The signatures of these schemes written after change_seq `seen`, in the order they were
    written, and the newest change_seq among them (`seen` if none)."""
    cur.execute(
        """SELECT article_id, scheme, signature, change_seq FROM article_fingerprints
           WHERE change_seq > %s AND scheme = ANY(%s) ORDER BY change_seq""",
        (seen, list(schemes)),
    )
    rows = cur.fetchall()
    newest = max((int(row[3]) for row in rows), default=seen)
    return _by_scheme(rows), newest


def _by_scheme(rows: Sequence[tuple[object, ...]]) -> dict[str, FingerprintRows]:
    grouped: dict[str, FingerprintRows] = {}
    for article_id, scheme, signature, *_ in rows:
        found = grouped.setdefault(str(scheme), FingerprintRows([], []))
        found.article_ids.append(int(article_id))  # type: ignore[call-overload]
        found.signatures.append(bytes(signature))  # type: ignore[call-overload]
    return grouped
