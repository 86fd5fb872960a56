"""Scratch databases for `newsdedup eval stories`, and the stories ingest left in them.

Each stream is loaded into a database of its own on the configured server, so that an
evaluation never mixes its articles with the news database's (dedupe reads every stored
article) nor with another stream's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import psycopg2.extensions
from psycopg2 import sql

from pipeline.store import query_rows
from pipeline.store.database import connect

SCRATCH_PREFIX = "newsdedup_eval_"


def scratch_name(stream: str, suffix: str = "") -> str:
    """A database name for a stream: lower-case letters, digits and underscores only, within
    PostgreSQL's 63 bytes."""
    name = re.sub(r"[^a-z0-9_]+", "_", f"{stream}{suffix}".lower()).strip("_")
    return (SCRATCH_PREFIX + name)[:63]


def database_url(server_url: str, name: str) -> str:
    """`server_url` (a libpq URL or DSN) with another database name."""
    dsn: str = psycopg2.extensions.make_dsn(server_url, dbname=name)
    return dsn


def _admin(server_url: str, statement: sql.Composable) -> None:
    conn = connect(database_url(server_url, "postgres"))
    try:
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def drop_database(server_url: str, name: str) -> None:
    _admin(
        server_url,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
    )


def database_exists(server_url: str, name: str) -> bool:
    conn = connect(database_url(server_url, "postgres"))
    try:
        rows = query_rows(conn, "SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    finally:
        conn.close()
    return bool(rows)


@contextmanager
def scratch_database(server_url: str, name: str, keep: bool = False) -> Iterator[str]:
    """A new, empty database `name` on the server of `server_url` (one left by an earlier
    --keep is replaced: a stream loaded twice would find its articles already stored); yields
    its URL and drops it afterwards unless `keep`."""
    if not name.startswith(SCRATCH_PREFIX):
        raise ValueError(f"not a scratch database name: {name}")
    drop_database(server_url, name)
    _admin(server_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(server_url, name)
    finally:
        if not keep:
            drop_database(server_url, name)


@dataclass(frozen=True)
class StoredArticle:
    """An article as ingest stored it, named by its file's stem."""

    id: int
    stem: str
    canonical_id: int
    story_id: int
    title: str | None
    body: str
    published_at: datetime | None
    published_guessed: bool = False  # the date is guessed from the text (ArticleMetadata)

    @property
    def text(self) -> str:
        """Title twice, then the body: the TDT baselines' weighting of the headline."""
        return f"{self.title}\n{self.title}\n{self.body}" if self.title else self.body


@dataclass(frozen=True)
class Loaded:
    """What one ingest of a stream left: its articles and why the rest were rejected."""

    articles: list[StoredArticle]
    rejected: Counter[str]  # reason -> inputs of the stream


def read_loaded(url: str, stems: Mapping[str, str]) -> Loaded:
    """The articles and rejections of the inputs `stems` names (source_uri -> file stem)."""
    conn = connect(url)
    try:
        rows = query_rows(
            conn,
            """SELECT a.id, a.source_uri, a.canonical_id, s.story_id, a.title, a.body,
                      a.published_at,
                      coalesce((a.metadata->>'published_guessed')::boolean, false) AS guessed
               FROM articles a JOIN story_clusters s ON s.article_id = a.id ORDER BY a.id""",
        )
        rejected = query_rows(conn, "SELECT source_uri, reason FROM rejected_inputs")
    finally:
        conn.close()
    articles = [
        StoredArticle(
            id=row["id"],
            stem=stems[row["source_uri"]],
            canonical_id=row["canonical_id"],
            story_id=row["story_id"],
            title=row["title"],
            body=row["body"],
            published_at=row["published_at"],
            published_guessed=row["guessed"],
        )
        for row in rows
        if row["source_uri"] in stems
    ]
    reasons = Counter(row["reason"] for row in rejected if row["source_uri"] in stems)
    return Loaded(articles, reasons)
