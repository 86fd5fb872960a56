"""What a run did and what the database holds, as plain data and as terminal tables (rich)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.store import Connection, RunCounts, query_rows


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
            """SELECT id, left(title, 70) AS title, published_at::date AS published,
                      array_to_string(authors, ', ') AS authors, language, outlet,
                      duplicate_count AS dups, story_id AS story,
                      regexp_replace(source_uri, '^.*/', '') AS source
               FROM canonical_articles ORDER BY id LIMIT %s""",
            (limit,),
        ),
        duplicate_groups=query_rows(
            conn,
            """SELECT d.canonical_id, d.article_id, round(d.similarity::numeric, 3) AS similarity,
                      d.method, regexp_replace(a.source_uri, '^.*/', '') AS source
               FROM article_duplicates d JOIN articles a ON a.id = d.article_id
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


def _table(title: str, rows: list[dict[str, Any]], empty: str) -> Table | str:
    if not rows:
        return f"[bold]{title}[/bold]: {empty}"
    table = Table(title=title, title_justify="left", show_lines=False)
    for name in rows[0]:
        table.add_column(name, overflow="ellipsis", no_wrap=True, min_width=len(name), max_width=70)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    return table


def print_run(console: Console, run_id: int, counts: RunCounts) -> None:
    c = counts
    console.print(
        f"[bold]ingest run {run_id}[/bold]: read {c.inputs_read}, loaded {c.loaded} "
        f"({c.merged} merged as duplicates, {c.same_story} joined a story), "
        f"revised {c.revised}, unchanged {c.unchanged}, rejected {c.rejected}"
    )


def print_summary(console: Console, summary: DatabaseSummary) -> None:
    console.print(_table("Canonical articles", summary.canonical, "none"))
    console.print(
        _table("Duplicates (linked to their canonical)", summary.duplicate_groups, "none")
    )
    console.print(_table("Stories with more than one article", summary.stories, "none"))
    console.print(_table("Rejected inputs", summary.rejected, "none"))
