"""The sources' health (pipeline/ops/health.py): a table on the News ingest page and a page of
its own (/news/sources). Each row is <tr data-source="name" data-source-status="ok|failing">."""

from __future__ import annotations

from typing import Any

from newsdedup_ops.html import document, esc, href, pct, short_time, status, table
from pipeline.ops.health import ITEM_STATUSES

HEADERS = [
    "Source", "Status", "Last run", "Last polled (UTC)", "New", "Done", "Retry", "Rejected",
    "Gave up", "Last error", "304 hit rate",
]  # fmt: skip


def _last_run(row: dict[str, Any], base: str) -> str:
    if row["last_run_id"] is None:
        return "–"
    runs = href(base, "/articles", run=row["last_run_id"])
    link = f'<a href="{runs}">{esc(row["last_run_id"])}</a>'
    return f"{link} {short_time(row['last_run_at'])} {status(row['last_run_status'], 'run-status')}"


def _last_error(row: dict[str, Any]) -> str:
    if not row["last_error_reason"]:
        return "–"
    what = "listing" if row["last_error_kind"] == "listing" else "item"
    return (
        f'<strong data-error-reason="{esc(row["last_error_reason"])}">'
        f"{esc(row['last_error_reason'])}</strong> "
        f"<span class='muted'>({what} {short_time(row['last_error_at'])})</span><br>"
        f"{esc(str(row['last_error_detail'] or '')[:200])}<br>"
        f"<code>{esc(row['last_error_item'])}</code>"
    )


def health_table(rows: list[dict[str, Any]], base: str) -> str:
    cells = [
        [
            f"<strong>{esc(row['source'])}</strong>",
            status(row["status"], "source-status"),
            _last_run(row, base),
            short_time(row["last_polled_at"]),
            *(f'<span class="n">{esc(row["items"][key])}</span>' for key in ITEM_STATUSES),
            _last_error(row),
            f"{pct(row['hit_rate'])} <span class='muted'>of {esc(row['polls'])} polls</span>",
        ]
        for row in rows
    ]
    attrs = [
        f'data-source="{esc(row["source"])}" data-source-status="{esc(row["status"])}"'
        for row in rows
    ]
    return table(
        "sources", HEADERS, cells, "No source has been polled yet (source_items is empty).", attrs
    )


def render_sources(rows: list[dict[str, Any]], base: str) -> str:
    failing = sum(1 for row in rows if row["status"] == "failing")
    summary = (
        f"{len(rows)} source(s), <span class='num' data-metric='failing_sources'>{failing}</span>"
        " failing: a source fails while the last poll of one of its listings failed. The hit "
        "rate is the share of answered listing polls that were 304 Not Modified."
    )
    body = f"<h1>Sources</h1><p class='muted'>{summary}</p>{health_table(rows, base)}"
    return document("Sources", body, base, here="sources")
