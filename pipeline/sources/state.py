"""Incremental state of configured sources in PostgreSQL (sql/005_sources.sql).

What a source listed and what became of it, so a run only does what is new, and what failed is
tried again by the next run instead of being lost; and the HTTP validators of listing URLs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pipeline.sources.fetch import Validators
from pipeline.store import Connection

# Outcomes of one item. 'retry' is due again next run; 'gave_up' is 'retry' past max_attempts.
DONE, RETRY, REJECTED, GAVE_UP = "done", "retry", "rejected", "gave_up"
# Items not seen before that one poll of a listing records, newest first. A feed of 100,000
# entries is recorded over many polls (the newest unrecorded ones each time) instead of costing
# one poll 100,000 inserts; an item published since the last poll is always among them.
MAX_NEW_PER_POLL = 1000


@dataclass(frozen=True)
class Listed:
    """One thing a source listed: an article URL (canonical) or a file path."""

    key: str
    entry_id: str | None = None
    published_at: datetime | None = None
    content_sha256: str | None = None


@dataclass(frozen=True)
class Outcome:
    key: str
    status: str
    reason: str | None = None
    detail: str | None = None
    content_sha256: str | None = None


def load_validators(conn: Connection, url: str) -> Validators | None:
    with conn, conn.cursor() as cur:
        cur.execute("SELECT etag, last_modified FROM http_validators WHERE url = %s", (url,))
        row = cur.fetchone()
    return Validators(row[0], row[1]) if row else None


def save_validators(conn: Connection, url: str, status: int, validators: Validators) -> None:
    """Remember an answered poll's validators, and count it (a 304 as a free one: sql/019)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO http_validators (url, etag, last_modified, last_status, polls,
                                            not_modified)
               VALUES (%s, %s, %s, %s, 1, (%s = 304)::integer)
               ON CONFLICT (url) DO UPDATE SET
                   etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified,
                   last_status = EXCLUDED.last_status, checked_at = now(),
                   changed_at = CASE WHEN EXCLUDED.last_status = 200 THEN now()
                                     ELSE http_validators.changed_at END,
                   polls = http_validators.polls + 1,
                   not_modified = http_validators.not_modified + EXCLUDED.not_modified""",
            (url, validators.etag, validators.last_modified, status, status),
        )


def remember(
    conn: Connection,
    source: str,
    items: Sequence[Listed],
    kind: str = "page",
    limit: int = MAX_NEW_PER_POLL,
) -> int:
    """Record listed items not seen before, the newest `limit` of them; return how many were
    new. What is past the limit is recorded by later polls, newest first again, so a backlog
    never hides what was just published and is not dropped either.

    A file whose hash changed since it was processed is due again (an inbox file rewritten,
    an archive re-downloaded); an already listed URL is not, whatever its feed now says.
    """
    new = 0
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT item_key, content_sha256 FROM source_items
               WHERE source = %s AND item_key = ANY(%s)""",
            (source, [item.key for item in items]),
        )
        known: dict[str, str | None] = dict(cur.fetchall())
        unseen = newest_first([item for item in items if item.key not in known])[:limit]
        changed = [
            item for item in items
            if item.key in known and item.content_sha256 not in (None, known[item.key])
        ]  # fmt: skip
        for item in [*unseen, *changed]:
            cur.execute(
                """INSERT INTO source_items
                       (source, item_key, kind, entry_id, published_at, content_sha256)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (source, item_key) DO UPDATE SET
                       status = 'new', attempts = 0, content_sha256 = EXCLUDED.content_sha256
                   WHERE source_items.content_sha256 IS DISTINCT FROM EXCLUDED.content_sha256
                     AND EXCLUDED.content_sha256 IS NOT NULL""",
                (source, item.key, kind, item.entry_id, item.published_at, item.content_sha256),
            )
            new += cur.rowcount
    return new


def newest_first(items: Sequence[Listed]) -> list[Listed]:
    """Items by publication time, newest first; an undated item counts as published now (it
    is first seen now), and items of one time keep the listing's order."""

    def when(item: Listed) -> float:
        return item.published_at.timestamp() if item.published_at else math.inf

    return sorted(items, key=when, reverse=True)


def due(
    conn: Connection,
    source: str,
    *,
    max_attempts: int,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    kind: str = "page",
) -> list[str]:
    """Keys of the items to process now, new ones and retries, the most recently published
    first (an undated item by when it was first listed; a date after that is not believed),
    so a long backlog never makes what was just published wait."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT item_key FROM source_items
               WHERE source = %s AND kind = %s AND status IN ('new', 'retry')
                 AND attempts < %s
                 AND (%s::timestamptz IS NULL OR published_at IS NULL OR published_at >= %s)
                 AND (%s::timestamptz IS NULL OR published_at IS NULL OR published_at < %s)
               ORDER BY LEAST(published_at, first_seen) DESC, item_key
               LIMIT %s""",
            (source, kind, max_attempts, since, since, until, until, limit),
        )
        return [key for (key,) in cur.fetchall()]


def due_rechecks(
    conn: Connection,
    source: str,
    *,
    window_hours: float,
    every_minutes: float,
    limit: int,
    exclude: Sequence[str] = (),
) -> list[str]:
    """Pages stored from this source that were published (else first listed) in the last
    `window_hours` and not fetched for `every_minutes`: fetched again, conditionally, so that
    a correction or an update becomes a revision. Least recently fetched first."""
    if window_hours <= 0 or limit <= 0:
        return []
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT item_key FROM source_items
               WHERE source = %s AND kind = 'page' AND status = 'done'
                 AND COALESCE(published_at, first_seen) > now() - make_interval(secs => %s)
                 AND (last_attempt IS NULL OR last_attempt < now() - make_interval(secs => %s))
                 AND item_key <> ALL(%s)
               ORDER BY last_attempt NULLS FIRST, item_key
               LIMIT %s""",
            (source, window_hours * 3600, every_minutes * 60, list(exclude), limit),
        )
        return [key for (key,) in cur.fetchall()]


def record(
    conn: Connection, source: str, outcomes: Sequence[Outcome], run_id: int, max_attempts: int
) -> None:
    """Store what became of each item; a retry past max_attempts becomes 'gave_up'."""
    with conn, conn.cursor() as cur:
        for o in outcomes:
            cur.execute(
                """UPDATE source_items SET
                       attempts = attempts + 1, last_attempt = now(), run_id = %(run_id)s,
                       reason = %(reason)s, detail = %(detail)s,
                       content_sha256 = COALESCE(%(sha)s, content_sha256),
                       done_at = CASE WHEN %(status)s = 'done' THEN now() END,
                       status = CASE WHEN %(status)s = 'retry' AND attempts + 1 >= %(max)s
                                     THEN 'gave_up' ELSE %(status)s END
                   WHERE source = %(source)s AND item_key = %(key)s""",
                {
                    "run_id": run_id, "reason": o.reason, "detail": o.detail,
                    "sha": o.content_sha256, "status": o.status, "max": max_attempts,
                    "source": source, "key": o.key,
                },
            )  # fmt: skip


def record_listing_failure(
    conn: Connection, source: str, url: str, reason: str, detail: str
) -> None:
    """A feed or sitemap that could not be read: kept visible, never fatal to the run."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO source_items (source, item_key, kind, status, attempts, reason, detail,
                                         last_attempt)
               VALUES (%s, %s, 'listing', 'retry', 1, %s, %s, now())
               ON CONFLICT (source, item_key) DO UPDATE SET
                   status = 'retry', attempts = source_items.attempts + 1,
                   reason = EXCLUDED.reason, detail = EXCLUDED.detail, last_attempt = now()""",
            (source, url, reason, detail),
        )


def record_listing_success(conn: Connection, source: str, url: str) -> None:
    """A listing read: kept as a 'done' row too, which ties its URL's poll counters
    (http_validators) to its source for the source-health table."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO source_items (source, item_key, kind, status, done_at, last_attempt)
               VALUES (%s, %s, 'listing', 'done', now(), now())
               ON CONFLICT (source, item_key) DO UPDATE SET
                   status = 'done', reason = NULL, detail = NULL, done_at = now(),
                   last_attempt = now()
               WHERE source_items.kind = 'listing'""",
            (source, url),
        )


def listings_in_turn(
    conn: Connection, source: str, *, exclude: Sequence[str], limit: int
) -> list[str]:
    """The child listings a source named (sitemaps of an index, at any depth) whose turn it
    is: the one polled longest ago first, one never polled by when it was first named. Polling
    these marks them (last_attempt), so successive runs go round all of them, however many
    there are, and a stream of new children cannot keep an old one waiting forever."""
    if limit <= 0:
        return []
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT item_key FROM source_items
               WHERE source = %s AND kind = 'listing' AND item_key <> ALL(%s)
               ORDER BY COALESCE(last_attempt, first_seen), item_key
               LIMIT %s""",
            (source, list(exclude), limit),
        )
        return [key for (key,) in cur.fetchall()]
