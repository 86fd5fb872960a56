"""Set-based reads and COPY writes for placing a whole batch (pipeline/dedupe/place.py).

Each function does for a batch, in one or two statements, what would otherwise take a round
trip per article. They take and return rows: what a screen or a signature means is dedupe's.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg2.extras

from pipeline.models import Article
from pipeline.store.articles import Link
from pipeline.store.database import Cursor


def int_array(values: Iterable[int]) -> str:
    """A Postgres array literal of integers, for a `%s::bigint[]` (or int[], smallint[])
    parameter: psycopg2 adapts a list element by element, which for the ~60,000 bucket keys of
    a batch took as long as the lookup itself."""
    return "{" + ",".join(map(str, values)) + "}"


def text_array(values: Iterable[str]) -> str:
    """A Postgres array literal of strings, for a `%s::text[]` parameter (see int_array)."""
    quoted = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in quoted) + "}"


def real_array(values: Iterable[float]) -> str:
    """A Postgres array literal of floats, for a `%s::real[]` parameter (see int_array)."""
    return "{" + ",".join(f"{v:.6g}" for v in values) + "}"


def exact_body_matches(cur: Cursor, shas: Sequence[str]) -> dict[str, int]:
    """body_sha256 -> the oldest stored article with exactly that clean text."""
    cur.execute(
        """SELECT DISTINCT ON (body_sha256) body_sha256, id FROM articles
           WHERE body_sha256 = ANY(%s) ORDER BY body_sha256, id""",
        (sorted(set(shas)),),
    )
    return {sha: int(i) for sha, i in cur.fetchall()}


@dataclass
class StoredRow:
    id: int
    canonical_id: int
    story_id: int
    body_sha256: str
    screen: bytes | None  # None when the caller has the article's doc, or no screen of `hashing`


def stored_for_placement(
    cur: Cursor, ids: Sequence[int], cached: Sequence[int], hashing: str
) -> list[StoredRow]:
    """The rows placement needs; the screen (of that hashing) only of articles not in `cached`."""
    cur.execute(
        """SELECT a.id, a.canonical_id, a.story_id, a.body_sha256,
                  CASE WHEN a.id = ANY(%s) THEN NULL ELSE s.screen END
           FROM articles a
           LEFT JOIN article_screens s ON s.article_id = a.id AND s.hashing = %s
           WHERE a.id = ANY(%s) ORDER BY a.id""",
        (list(cached), hashing, list(ids)),
    )
    return [
        StoredRow(id_, canonical_id, story_id, sha, bytes(screen) if screen else None)
        for id_, canonical_id, story_id, sha, screen in cur.fetchall()
    ]


def stored_texts(
    cur: Cursor, ids: Sequence[int]
) -> list[tuple[int, str | None, str, datetime | None]]:
    """(id, title, body, published_at) of stored articles."""
    cur.execute(
        "SELECT id, title, body, published_at FROM articles WHERE id = ANY(%s)", (list(ids),)
    )
    return [(int(i), title, body, published) for i, title, body, published in cur.fetchall()]


def next_article_ids(cur: Cursor, n: int) -> list[int]:
    cur.execute(
        "SELECT nextval(pg_get_serial_sequence('articles', 'id')) FROM generate_series(1, %s)",
        (n,),
    )
    # Ascending, so that ids follow placement order as they do when taken one at a time.
    return sorted(int(row[0]) for row in cur.fetchall())


@dataclass
class NewArticle:
    article_id: int
    article: Article
    canonical_id: int
    story_id: int
    signatures: list[tuple[str, bytes]]  # (scheme key, MinHash signature)
    screen: bytes
    links: list[Link]


def _text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    if isinstance(value, list):
        value = text_array(map(str, value))
    elif isinstance(value, datetime):
        value = value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(cur: Cursor, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
    copy_lines(cur, table, columns, ("\t".join(_text(v) for v in row) + "\n" for row in rows))


def copy_lines(cur: Cursor, table: str, columns: str, lines: Iterable[str]) -> None:
    """COPY lines already in COPY's text format (each ending in a newline)."""
    buffer = io.StringIO()
    buffer.writelines(lines)
    if buffer.tell():
        buffer.seek(0)
        cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def insert_articles(cur: Cursor, rows: Sequence[NewArticle], run_id: int, hashing: str) -> None:
    """Articles with their removals, signatures, screens and dedupe links, for a batch, in id
    order (a duplicate's canonical row must precede it: the canonical trigger checks it). Their
    LSH buckets go in through the candidate index."""
    rows = sorted(rows, key=lambda r: r.article_id)
    copy_rows(
        cur,
        "articles",
        "id, source_uri, outlet, title, authors, published_at, language, body, raw_sha256, "
        "body_sha256, canonical_id, story_id, run_id, metadata, published_day, "
        "published_utc_offset, updated_at, removed_share, cleaning_audit",
        (_article_values(r, run_id) for r in rows),
    )
    insert_removals(cur, [(r.article_id, r.article) for r in rows])
    insert_signatures(cur, [(r.article_id, *signature) for r in rows for signature in r.signatures])
    insert_screens(cur, [(r.article_id, r.screen) for r in rows], hashing)
    matches = [
        (
            r.article_id, link.matched_id, link.level, link.similarity, link.method,
            json.dumps(link.scores),
            json.dumps([{"article": a, "matched": b} for a, b in link.shared_passages]),
            link.reason,
        )
        for r in rows
        for link in r.links
    ]  # fmt: skip
    if matches:
        psycopg2.extras.execute_values(
            cur,
            """INSERT INTO article_matches (article_id, matched_id, level, similarity, method,
                                            scores, shared_passages, reason) VALUES %s""",
            matches,
            page_size=1000,
        )


def insert_screens(cur: Cursor, rows: Sequence[tuple[int, bytes]], hashing: str) -> None:
    copy_rows(
        cur,
        "article_screens",
        "article_id, hashing, screen",
        ((article_id, hashing, screen) for article_id, screen in rows),
    )


def insert_signatures(cur: Cursor, rows: Iterable[tuple[int, str, bytes]]) -> None:
    """(article id, scheme key, signature) rows of article_fingerprints."""
    copy_rows(cur, "article_fingerprints", "article_id, scheme, signature", rows)


def insert_removals(cur: Cursor, rows: Iterable[tuple[int, Article]]) -> None:
    """article_removals rows of (article id, article): what the cleaner removed, in order."""
    copy_rows(
        cur,
        "article_removals",
        "article_id, position, rule, removed, applied",
        (
            (article_id, position, removal.rule, removal.text, removal.applied)
            for article_id, article in rows
            for position, removal in enumerate(article.removals)
        ),
    )


def metadata_json(article: Article) -> str:
    """articles.metadata: what the page declared beyond the columns, and the article's site."""
    meta = article.metadata
    extra = {
        key: value
        for key, value in (
            ("canonical_url", meta.canonical_url),
            ("credit", meta.credit),
            ("published_guessed", meta.published_guessed),
            ("site", article.site),
        )
        if value
    }
    return json.dumps(extra)


def _article_values(row: NewArticle, run_id: int) -> tuple[Any, ...]:
    article = row.article
    meta = article.metadata
    return (
        row.article_id, article.source_uri, meta.outlet, meta.title, list(meta.authors),
        meta.published_at, meta.language, article.body, article.raw_sha256, article.body_sha256,
        row.canonical_id, row.story_id, run_id, metadata_json(article),
        *page_day(meta.published_at), meta.updated_at, article.removed_share, article.audit,
    )  # fmt: skip


def page_day(published_at: datetime | None) -> tuple[date | None, str | None]:
    """(published_day, published_utc_offset): the day and the offset the page states."""
    if published_at is None:
        return None, None
    offset = published_at.utcoffset() or timedelta(0)
    return published_at.date(), f"{int(offset.total_seconds() // 60)} minutes"


def clear_rejections(cur: Cursor, uris: Sequence[str]) -> None:
    """Inputs that now load are no longer rejected."""
    cur.execute("DELETE FROM rejected_inputs WHERE source_uri = ANY(%s)", (list(uris),))


def count_site_lines(cur: Cursor, articles: Sequence[tuple[str, dict[str, str]]]) -> None:
    """One more article of its site carried each of these lines: one row per (site, line) with
    how many of the articles carried it (one INSERT may not update a row twice). A line's text
    is kept once two articles carried it (sql/018): the first article's, as when the articles
    are counted one by one."""
    counted: dict[tuple[str, str], list[Any]] = {}
    for site, lines in articles:
        for key, text in lines.items():
            entry = counted.setdefault((site, key), [text, 0])
            entry[1] += 1
    if not counted:
        return
    untold = psycopg2.extras.execute_values(
        cur,
        """INSERT INTO site_lines AS known (site, line_key, line, articles) VALUES %s
           ON CONFLICT (site, line_key)
           DO UPDATE SET articles = known.articles + EXCLUDED.articles, last_seen = now()
           RETURNING site, line_key, articles >= 2 AND line IS NULL""",
        [
            (site, key, text if n >= 2 else None, n)
            for (site, key), (text, n) in sorted(counted.items())
        ],
        page_size=1000,
        fetch=True,
    )
    recurring = [(site, key, counted[site, key][0]) for site, key, told in untold if told]
    if recurring:  # lines seen before, in another article: now they may be boilerplate
        psycopg2.extras.execute_values(
            cur,
            """UPDATE site_lines AS known SET line = new.line
               FROM (VALUES %s) AS new (site, line_key, line)
               WHERE known.site = new.site AND known.line_key = new.line_key""",
            recurring,
            page_size=1000,
        )


def index_for_search(cur: Cursor, rows: Sequence[tuple[int, str | None, str | None, str]]) -> None:
    """The search documents of (article id, language, title, body), in article_search (its
    foreign key is checked at commit, so this may precede the articles' rows: sql/017)."""
    if not rows:
        return
    ids, languages, titles, bodies = (list(column) for column in zip(*rows, strict=True))
    cur.execute(
        """INSERT INTO article_search (article_id, search_vector)
           SELECT id, newsdedup_search_document(language, title, body)
           FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                AS doc(id, language, title, body)
           ON CONFLICT (article_id) DO UPDATE SET search_vector = EXCLUDED.search_vector""",
        (ids, languages, titles, bodies),
    )


def unindex_for_search(cur: Cursor, article_ids: Sequence[int]) -> None:
    cur.execute("DELETE FROM article_search WHERE article_id = ANY(%s)", (list(article_ids),))
