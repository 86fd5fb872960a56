"""What a run did and what the database holds, as plain data and as terminal tables (rich)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.store import Connection, RejectionTally, RunCounts, query_rows


@dataclass
class DatabaseSummary:
    canonical: list[dict[str, Any]]
    duplicate_groups: list[dict[str, Any]]
    stories: list[dict[str, Any]]
    rejected: list[dict[str, Any]]


def summarise(conn: Connection, limit: int = 50) -> DatabaseSummary:
    return DatabaseSummary(
        canonical=query_rows(
            conn,
            """SELECT id, title, published_at::date AS published,
                      array_to_string(authors, ', ') AS authors, language, outlet,
                      duplicate_count AS dups, story_id AS story,
                      regexp_replace(source_uri, '^.*/', '') AS source
               FROM canonical_articles ORDER BY id LIMIT %s""",
            (limit,),
        ),
        duplicate_groups=query_rows(
            conn,
            """SELECT d.canonical_id, d.article_id, round(d.similarity::numeric, 3) AS similarity,
                      d.method, regexp_replace(d.url, '^.*/', '') AS source
               FROM article_duplicates d
               ORDER BY d.canonical_id, d.article_id LIMIT %s""",
            (limit,),
        ),
        stories=query_rows(
            conn,
            """SELECT story_id, count(*) AS articles,
                      count(*) FILTER (WHERE role <> 'duplicate') AS canonical,
                      array_agg(article_id ORDER BY article_id) AS article_ids
               FROM story_clusters GROUP BY story_id HAVING count(*) > 1
               ORDER BY story_id LIMIT %s""",
            (limit,),
        ),
        rejected=query_rows(
            conn,
            """SELECT source_uri, reason, detail, attempts, rejected_at
               FROM rejected_inputs ORDER BY rejected_at DESC LIMIT %s""",
            (limit,),
        ),
    )


def _table(title: str, rows: list[dict[str, Any]], empty: str, cut: bool) -> Table | str:
    """Rows as a table; with `cut` (a terminal) each column at most 70 wide, else whole."""
    if not rows:
        return f"[bold]{title}[/bold]: {empty}"
    table = Table(title=title, title_justify="left", show_lines=False)
    for name in rows[0]:
        table.add_column(
            name, overflow="ellipsis", no_wrap=True, min_width=len(name),
            max_width=70 if cut else None,
        )  # fmt: skip
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    return table


def print_run(
    console: Console, run_id: int, counts: RunCounts, rejections: list[RejectionTally]
) -> None:
    c = counts
    console.print(
        f"[bold]ingest run {run_id}[/bold]: read {c.inputs_read}, loaded {c.loaded} "
        f"({c.merged} merged as duplicates, {c.same_story} joined a story), "
        f"revised {c.revised}, unchanged {c.unchanged}, rejected {c.rejected}"
    )
    for tally in rejections:
        more = tally.count - len(tally.examples)
        console.print(
            f"  rejected as [yellow]{tally.reason}[/yellow]: {tally.count} "
            f"({', '.join(map(escape, tally.examples))}{f', and {more} more' if more else ''})"
            + (f": {escape(tally.detail)}" if tally.detail else ""),
            highlight=False, soft_wrap=True,
        )  # fmt: skip


def print_summary(console: Console, summary: DatabaseSummary) -> None:
    cut = console.is_terminal
    console.print(_table("Canonical articles", summary.canonical, "none", cut))
    console.print(
        _table("Duplicates (linked to their canonical)", summary.duplicate_groups, "none", cut)
    )
    console.print(_table("Stories with more than one article", summary.stories, "none", cut))
    console.print(_table("Rejected inputs", summary.rejected, "none", cut))


def search(
    conn: Connection,
    text: str,
    *,
    since: datetime | None = None,
    outlet: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Canonical articles matching a web-search style query, best first (sql/014's
    search_articles, the function analysts call in psql)."""
    return query_rows(
        conn,
        "SELECT * FROM search_articles(%s, %s, %s, %s)",
        (text, since, outlet, limit),
    )


def print_search(console: Console, text: str, hits: list[dict[str, Any]]) -> None:
    if not hits:
        console.print(f"no canonical article matches {text!r}", highlight=False)
        return
    table = Table(title=f"Canonical articles matching {text!r}", title_justify="left")
    for name in ("id", "story", "copies", "published", "outlet", "title", "excerpt"):
        table.add_column(name, overflow="fold")
    for hit in hits:
        published = hit["published_at"]
        table.add_row(
            str(hit["id"]), str(hit["story_id"]), str(hit["duplicate_count"]),
            published.date().isoformat() if published else "",
            escape(hit["outlet"] or ""), escape(hit["title"] or ""),
            # the page's own text may hold rich markup: escape it, then mark the matches
            escape(" ".join(hit["excerpt"].split())).replace("«", "[bold]").replace("»", "[/bold]"),
        )  # fmt: skip
    console.print(table)


def print_sources(console: Console, rows: list[dict[str, str]]) -> None:
    """The configured sources and the DAG that polls each (dags/news_sources.py)."""
    table = Table(title="Configured sources")
    for header in ("source", "kind", "DAG", "schedule", "enabled", "fetch pool", "location"):
        table.add_column(header)
    for row in rows:
        table.add_row(*(escape(row[key]) for key in row))
    console.print(table if rows else "No sources configured.")
