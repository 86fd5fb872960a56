"""Source health: per source seen in source_items, is it being read, and what went wrong last.

A source is `failing` when the last poll of one of its listings (the feed, the sitemap or one of
its child sitemaps) failed: state.record_listing_failure keeps such a listing as a source_items
row of kind 'listing' in 'retry' until a poll succeeds again. Its items are counted by status,
its last error is the newest failed item or listing, and its conditional-GET hit rate is the
share of its listings' answered polls that were 304 Not Modified (http_validators' counters,
sql/019). http_validators knows URLs, not sources: a listing is tied to its source by its
source_items row, which every poll that reached it keeps (state.record_listing_*).
"""

from __future__ import annotations

from typing import Any

from pipeline.store import Connection, query_rows

OK, FAILING = "ok", "failing"
ITEM_STATUSES = ("new", "done", "retry", "rejected", "gave_up")


def source_health(conn: Connection) -> list[dict[str, Any]]:
    """One row per source, failing ones first, then by name."""
    rows = query_rows(
        conn,
        """WITH names AS (
                SELECT DISTINCT source FROM source_items
            ), items AS (
                SELECT source,
                       count(*) FILTER (WHERE status = 'new') AS new,
                       count(*) FILTER (WHERE status = 'done') AS done,
                       count(*) FILTER (WHERE status = 'retry') AS retry,
                       count(*) FILTER (WHERE status = 'rejected') AS rejected,
                       count(*) FILTER (WHERE status = 'gave_up') AS gave_up
                FROM source_items WHERE kind <> 'listing' GROUP BY source
            ), listings AS (
                SELECT source, count(*) FILTER (WHERE status <> 'done') AS failing_listings,
                       max(last_attempt) AS last_listing_attempt
                FROM source_items WHERE kind = 'listing' GROUP BY source
            ), last_run AS (
                SELECT DISTINCT ON (i.source) i.source, r.id, r.started_at, r.status
                FROM source_items i JOIN ingest_runs r ON r.id = i.run_id
                ORDER BY i.source, r.id DESC
            ), last_error AS (
                SELECT DISTINCT ON (source) source, kind, item_key, reason, detail, last_attempt
                FROM source_items
                WHERE status IN ('retry', 'rejected', 'gave_up') AND reason IS NOT NULL
                ORDER BY source, last_attempt DESC NULLS LAST, item_key
            ), polled AS (
                SELECT u.source, sum(v.polls) AS polls, sum(v.not_modified) AS not_modified,
                       max(v.checked_at) AS last_answered
                FROM source_items u
                JOIN http_validators v ON v.url = u.item_key
                WHERE u.kind = 'listing'
                GROUP BY u.source
            )
            SELECT n.source,
                   CASE WHEN coalesce(l.failing_listings, 0) > 0 THEN %s ELSE %s END AS status,
                   coalesce(l.failing_listings, 0) AS failing_listings,
                   lr.id AS last_run_id, lr.started_at AS last_run_at,
                   lr.status AS last_run_status,
                   greatest(l.last_listing_attempt, p.last_answered) AS last_polled_at,
                   coalesce(i.new, 0) AS new, coalesce(i.done, 0) AS done,
                   coalesce(i.retry, 0) AS retry, coalesce(i.rejected, 0) AS rejected,
                   coalesce(i.gave_up, 0) AS gave_up,
                   e.reason AS last_error_reason, e.detail AS last_error_detail,
                   e.item_key AS last_error_item, e.kind AS last_error_kind,
                   e.last_attempt AS last_error_at,
                   coalesce(p.polls, 0) AS polls, coalesce(p.not_modified, 0) AS not_modified,
                   round(p.not_modified::numeric / nullif(p.polls, 0), 4) AS hit_rate
            FROM names n
            LEFT JOIN items i ON i.source = n.source
            LEFT JOIN listings l ON l.source = n.source
            LEFT JOIN last_run lr ON lr.source = n.source
            LEFT JOIN last_error e ON e.source = n.source
            LEFT JOIN polled p ON p.source = n.source
            ORDER BY (coalesce(l.failing_listings, 0) > 0) DESC, n.source""",
        (FAILING, OK),
    )
    for row in rows:
        row["items"] = {status: row.pop(status) for status in ITEM_STATUSES}
    return rows
