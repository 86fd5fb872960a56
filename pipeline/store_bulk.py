"""Set-based reads and COPY writes for placing a whole batch (pipeline/placement.py).

Each function does for a batch what a function of pipeline/store.py does for one article, in
one or two statements: per-article round trips, not the SQL itself, bound the old path.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2.extras

from pipeline.config import DedupeSettings
from pipeline.dedupe import Doc, prepare
from pipeline.fingerprint import Fingerprint
from pipeline.models import Article, dedupe_text
from pipeline.screen import HASHING, Screen
from pipeline.store import Cursor, Link

BucketKey = tuple[str, int, int]  # scheme, band, bucket


def lsh_candidates_batch(
    cur: Cursor,
    probes: Sequence[Sequence[BucketKey]],
    scheme_ids: Mapping[str, int],
    settings: DedupeSettings,
) -> list[list[tuple[int, int]]]:
    """For each probe (the bucket keys of one article of a batch, in placement order), the
    stored articles sharing the most buckets with it as (article_id, shared), ranked like
    placement.rank_candidates.

    Only a bucket's newest `bucket_newest` members count, as when the batch's articles are
    placed one by one: for an article, the members of a bucket are the earlier articles of its
    batch with that key (the newest), then the stored ones, newest first. So a probe reads at
    most that many stored rows, however large the corpus grows."""
    seen: Counter[BucketKey] = Counter()
    columns: tuple[list[int], list[int], list[int], list[int], list[int]] = ([], [], [], [], [])
    items, schemes, bands, buckets, rooms = columns
    for item, keys in enumerate(probes):
        for key in keys:
            scheme, band, bucket = key
            room = settings.bucket_newest - seen[key]
            if room > 0 and scheme in scheme_ids:
                items.append(item)
                schemes.append(scheme_ids[scheme])
                bands.append(band)
                buckets.append(bucket)
                rooms.append(room)
        seen.update(keys)
    cur.execute(
        """WITH probe AS (
               SELECT * FROM unnest(%s::int[], %s::smallint[], %s::smallint[], %s::bigint[],
                                    %s::int[]) AS p(item, scheme_id, band, bucket, room)),
           hits AS (
               SELECT p.item, l.article_id, count(*) AS shared
               FROM probe p CROSS JOIN LATERAL (
                   SELECT b.article_id FROM lsh_buckets b
                   WHERE b.scheme_id = p.scheme_id AND b.band = p.band AND b.bucket = p.bucket
                   ORDER BY b.article_id DESC LIMIT p.room) l
               GROUP BY p.item, l.article_id HAVING count(*) >= %s),
           ranked AS (
               SELECT item, article_id, shared,
                      row_number() OVER (PARTITION BY item ORDER BY shared DESC, article_id) AS n
               FROM hits)
           SELECT item, article_id, shared FROM ranked WHERE n <= %s
           ORDER BY item, shared DESC, article_id""",
        (*map(int_array, columns), settings.min_shared_bands, settings.max_candidates),
    )
    found: list[list[tuple[int, int]]] = [[] for _ in probes]
    for item, article_id, shared in cur.fetchall():
        found[item].append((int(article_id), int(shared)))
    return found


def int_array(values: Iterable[int]) -> str:
    """A Postgres array literal of integers, for a `%s::bigint[]` (or int[], smallint[])
    parameter: psycopg2 adapts a list element by element, which for the ~60,000 bucket keys of
    a batch took as long as the lookup itself."""
    return "{" + ",".join(map(str, values)) + "}"


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
    screen: Screen | None  # None when the caller has the article's Doc, or no current screen


def stored_for_placement(cur: Cursor, ids: Sequence[int], cached: Sequence[int]) -> list[StoredRow]:
    """The rows placement needs; the screen only of articles not in `cached`."""
    cur.execute(
        """SELECT a.id, a.canonical_id, a.story_id, a.body_sha256,
                  CASE WHEN a.id = ANY(%s) THEN NULL ELSE s.screen END
           FROM articles a
           LEFT JOIN article_screens s ON s.article_id = a.id AND s.hashing = %s
           WHERE a.id = ANY(%s) ORDER BY a.id""",
        (list(cached), HASHING, list(ids)),
    )
    return [
        StoredRow(
            id_, canonical_id, story_id, sha, Screen.from_bytes(bytes(screen)) if screen else None
        )
        for id_, canonical_id, story_id, sha, screen in cur.fetchall()
    ]


def stored_docs(cur: Cursor, ids: Sequence[int]) -> dict[int, Doc]:
    """The verification docs of stored articles, prepared from their title and body."""
    cur.execute(
        "SELECT id, title, body, published_at FROM articles WHERE id = ANY(%s)", (list(ids),)
    )
    return {
        article_id: prepare(dedupe_text(title, body), published_at)
        for article_id, title, body, published_at in cur.fetchall()
    }


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
    fingerprints: list[Fingerprint]
    screen: Screen
    links: list[Link]


def _text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    if isinstance(value, list):
        quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
        value = "{" + ",".join(quoted) + "}"
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


def insert_articles(
    cur: Cursor, rows: Sequence[NewArticle], run_id: int, scheme_ids: Mapping[str, int]
) -> None:
    """Articles with their removals, fingerprints, LSH buckets and dedupe links, for a batch, in
    id order (a duplicate's canonical row must precede it: the canonical trigger checks it)."""
    rows = sorted(rows, key=lambda r: r.article_id)
    copy_rows(
        cur,
        "articles",
        "id, source_uri, outlet, title, authors, published_at, language, body, raw_sha256, "
        "body_sha256, canonical_id, story_id, run_id, metadata",
        (_article_values(r, run_id) for r in rows),
    )
    copy_rows(
        cur,
        "article_removals",
        "article_id, position, rule, removed",
        (
            (r.article_id, i, removal.rule, removal.text)
            for r in rows
            for i, removal in enumerate(r.article.removals)
        ),
    )
    insert_fingerprints(cur, [(r.article_id, r.fingerprints) for r in rows], scheme_ids)
    insert_screens(cur, [(r.article_id, r.screen) for r in rows])
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


def insert_screens(cur: Cursor, rows: Sequence[tuple[int, Screen]]) -> None:
    copy_rows(
        cur,
        "article_screens",
        "article_id, hashing, screen",
        ((article_id, HASHING, screen.to_bytes()) for article_id, screen in rows),
    )


def insert_fingerprints(
    cur: Cursor,
    rows: Sequence[tuple[int, Sequence[Fingerprint]]],
    scheme_ids: Mapping[str, int],
) -> None:
    """Signatures and LSH bucket rows of stored articles; `scheme_ids` is what
    store.register_schemes returned for their schemes."""
    copy_rows(
        cur,
        "article_fingerprints",
        "article_id, scheme, signature",
        ((article_id, fp.scheme, fp.signature_bytes()) for article_id, fps in rows for fp in fps),
    )
    # ~300 rows an article, all integers: formatted directly rather than value by value (_text)
    copy_lines(
        cur,
        "lsh_buckets",
        "scheme_id, band, bucket, article_id",
        (
            f"{scheme_ids[fp.scheme]}\t{band}\t{bucket}\t{article_id}\n"
            for article_id, fps in rows
            for fp in fps
            for band, bucket in enumerate(fp.band_keys)
        ),
    )


def _article_values(row: NewArticle, run_id: int) -> tuple[Any, ...]:
    article = row.article
    meta = article.metadata
    extra = {
        key: value
        for key, value in (
            ("canonical_url", meta.canonical_url),
            ("credit", meta.credit),
            ("site", article.site),
        )
        if value
    }
    return (
        row.article_id, article.source_uri, meta.outlet, meta.title, list(meta.authors),
        meta.published_at, meta.language, article.body, article.raw_sha256, article.body_sha256,
        row.canonical_id, row.story_id, run_id, json.dumps(extra),
    )  # fmt: skip


def clear_rejections(cur: Cursor, uris: Sequence[str]) -> None:
    """Inputs that now load are no longer rejected."""
    cur.execute("DELETE FROM rejected_inputs WHERE source_uri = ANY(%s)", (list(uris),))


def count_site_lines(cur: Cursor, articles: Sequence[tuple[str, dict[str, str]]]) -> None:
    """One more article of its site carried each of these lines: one row per (site, line) with
    how many of the articles carried it (one INSERT may not update a row twice). The text kept
    for a new line is the first article's, as when the articles are counted one by one."""
    counted: dict[tuple[str, str], list[Any]] = {}
    for site, lines in articles:
        for key, text in lines.items():
            entry = counted.setdefault((site, key), [text, 0])
            entry[1] += 1
    if not counted:
        return
    psycopg2.extras.execute_values(
        cur,
        """INSERT INTO site_lines AS known (site, line_key, line, articles) VALUES %s
           ON CONFLICT (site, line_key)
           DO UPDATE SET articles = known.articles + EXCLUDED.articles, last_seen = now()""",
        [(site, key, text, n) for (site, key), (text, n) in sorted(counted.items())],
        page_size=1000,
    )
