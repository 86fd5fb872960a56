"""Which articles: browse and search them, and everything the database holds about one of them.

For the ops plugin's article pages (and their JSON API). Search reads the analysts' full-text
documents (article_search, sql/017) with the query search_articles() reads
(newsdedup_search_query, sql/019); only canonical articles have a document, so a duplicate
matches when its canonical does. No Airflow and no dedupe here: the plugin adds what
`newsdedup explain` says of each link (pipeline/dedupe/explain.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.store import Connection, jsonable, query_rows

# What the status filter can ask for. same_story: the article's story holds more than one
# canonical text (independent coverage of one event), whatever the article's own role.
STATUSES = ("canonical", "duplicate", "same_story")
UNKNOWN_OUTLET = "(unknown)"
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Filters:
    q: str | None = None  # web-search style: words, "a phrase", or, -word
    outlet: str | None = None  # as the page shows it; "(unknown)" for articles without one
    day: dt.date | None = None  # UTC day of publication, else of loading
    status: str | None = None  # one of STATUSES
    run: int | None = None  # the ingest run that loaded it

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (what a page link carries), empty ones left out."""
        values = {"q": self.q, "outlet": self.outlet, "day": self.day, "status": self.status,
                  "run": self.run}  # fmt: skip
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


@dataclass
class ArticlePage:
    """One page of articles, newest first (publication time, else loading time)."""

    filters: Filters
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = jsonable(
            {
                "filters": self.filters.as_params(),
                "total": self.total,
                "page": self.page,
                "per_page": self.per_page,
                "pages": self.pages,
                "articles": self.rows,
            }
        )
        return result


# Every filter is a parameter that is NULL when not asked for: one static statement serves
# every combination (no SQL text is ever assembled from a request).
# The search query is parsed once, in a MATERIALIZED CTE: called in the WHERE clause it was
# parsed again for every article filtered and every excerpt.
_WANTED = """WITH wanted AS MATERIALIZED (
    SELECT CASE WHEN %(q)s::text IS NULL THEN NULL ELSE newsdedup_search_query(%(q)s) END AS q)
"""
_MATCHING = """
    (%(q)s::text IS NULL OR a.canonical_id IN (
        SELECT s.article_id FROM article_search s, wanted w WHERE s.search_vector @@ w.q))
    AND (%(outlet)s::text IS NULL OR coalesce(nullif(a.outlet, ''), %(unknown)s) = %(outlet)s)
    AND (%(day)s::date IS NULL
         OR (coalesce(a.published_at, a.ingested_at) AT TIME ZONE 'UTC')::date = %(day)s)
    AND (%(run)s::bigint IS NULL OR a.run_id = %(run)s)
    AND (%(status)s::text IS NULL
         OR (%(status)s = 'canonical' AND a.canonical_id = a.id)
         OR (%(status)s = 'duplicate' AND a.canonical_id <> a.id)
         OR (%(status)s = 'same_story' AND EXISTS (
                SELECT 1 FROM articles o WHERE o.story_id = a.story_id
                AND o.canonical_id = o.id AND o.id <> a.canonical_id)))"""
_COUNT = _WANTED + "SELECT count(*) AS n FROM articles a WHERE" + _MATCHING
_PAGE = (
    _WANTED
    + ", page AS (SELECT a.* FROM articles a WHERE"
    + _MATCHING
    + """
        ORDER BY coalesce(a.published_at, a.ingested_at) DESC, a.id DESC
        LIMIT %(limit)s OFFSET %(offset)s)
    SELECT p.id, p.title, coalesce(nullif(p.outlet, ''), %(unknown)s) AS outlet,
           p.source_uri AS url, p.published_at, p.ingested_at, p.run_id,
           p.canonical_id, p.story_id,
           CASE WHEN p.canonical_id = p.id THEN 'canonical' ELSE 'duplicate' END AS role,
           (SELECT count(*) FROM articles d WHERE d.canonical_id = p.id
              AND d.id <> p.id) AS duplicates,
           (SELECT count(*) FROM articles o WHERE o.story_id = p.story_id
              AND o.canonical_id = o.id) AS story_canonicals,
           CASE WHEN %(q)s::text IS NULL THEN NULL::text
                ELSE ts_headline(newsdedup_search_config(p.language), left(p.body, 100000),
                                 w.q,
                                 'MaxFragments=1, MaxWords=30, MinWords=12, StartSel=«, StopSel=»')
           END AS excerpt
    FROM page p, wanted w
    ORDER BY coalesce(p.published_at, p.ingested_at) DESC, p.id DESC"""
)


def browse(conn: Connection, filters: Filters, page: int = 1, per_page: int = 50) -> ArticlePage:
    """The articles matching `filters`, `per_page` at a time, newest first. With a query, each
    row carries an excerpt with the matches between « and »."""
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
    params = {
        "q": filters.q or None, "outlet": filters.outlet or None, "day": filters.day,
        "run": filters.run, "status": filters.status, "unknown": UNKNOWN_OUTLET,
        "limit": per_page, "offset": (page - 1) * per_page,
    }  # fmt: skip
    total = int(query_rows(conn, _COUNT, params)[0]["n"])
    return ArticlePage(filters, query_rows(conn, _PAGE, params), total, page, per_page)


def outlets(conn: Connection) -> list[str]:
    """Every outlet articles name (for the filter's choices), alphabetically."""
    rows = query_rows(
        conn,
        "SELECT DISTINCT coalesce(nullif(outlet, ''), %s) AS outlet FROM articles ORDER BY 1",
        (UNKNOWN_OUTLET,),
    )
    return [str(row["outlet"]) for row in rows]


# --- one article ------------------------------------------------------------------------------

_SUMMARY = """a.id, a.title, coalesce(nullif(a.outlet, ''), '(unknown)') AS outlet,
              a.source_uri AS url, a.published_at, a.ingested_at, a.canonical_id, a.story_id"""


@dataclass
class ArticleDetail:
    """An article, what the cleaner removed from it, and the articles it is grouped with."""

    article: dict[str, Any]
    run: dict[str, Any] | None
    removals: list[dict[str, Any]] = field(default_factory=list)
    canonical: dict[str, Any] | None = None  # when the article is a duplicate
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # copies of its canonical
    story: list[dict[str, Any]] = field(default_factory=list)  # the story's other articles
    links: list[dict[str, Any]] = field(default_factory=list)  # stored links from or to it

    @property
    def is_duplicate(self) -> bool:
        return bool(self.article["canonical_id"] != self.article["id"])

    def related_ids(self) -> list[int]:
        """The articles whose evidence an operator wants next to this one: its canonical, the
        copies (of it, or of its canonical), then the story's other canonical articles."""
        ids = [self.canonical["id"]] if self.canonical else []
        ids += [row["id"] for row in self.duplicates]
        ids += [row["id"] for row in self.story if row["canonical_id"] == row["id"]]
        return list(dict.fromkeys(i for i in ids if i != self.article["id"]))

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = jsonable(asdict(self))
        return result


def article(conn: Connection, article_id: int) -> ArticleDetail | None:
    """Everything the database holds about one article; None when there is no such article."""
    found = query_rows(
        conn,
        "SELECT "
        + _SUMMARY
        + """, a.authors, a.language, a.updated_at, a.revision, a.revised_at,
                   a.run_id, a.body, a.removed_share, a.cleaning_audit
            FROM articles a WHERE a.id = %s""",
        (article_id,),
    )
    if not found:
        return None
    row = found[0]
    runs = query_rows(
        conn,
        """SELECT id, triggered_by, started_at, finished_at, status FROM ingest_runs
           WHERE id = %s""",
        (row["run_id"],),
    )
    canonical_id, story_id = row["canonical_id"], row["story_id"]
    canonical = (
        query_rows(conn, "SELECT " + _SUMMARY + " FROM articles a WHERE a.id = %s", (canonical_id,))
        if canonical_id != article_id
        else []
    )
    return ArticleDetail(
        article=row,
        run=runs[0] if runs else None,
        removals=query_rows(
            conn,
            """SELECT position, rule, removed, applied FROM article_removals
               WHERE article_id = %s ORDER BY position""",
            (article_id,),
        ),
        canonical=canonical[0] if canonical else None,
        duplicates=query_rows(
            conn,
            "SELECT "
            + _SUMMARY
            + """ FROM articles a
                WHERE a.canonical_id = %s AND a.id <> a.canonical_id AND a.id <> %s
                ORDER BY a.id""",
            (canonical_id, article_id),
        ),
        story=query_rows(
            conn,
            "SELECT "
            + _SUMMARY
            + """ FROM articles a
                WHERE a.story_id = %s AND a.id <> %s AND a.canonical_id <> %s
                ORDER BY (a.canonical_id = a.id) DESC, a.id""",
            (story_id, article_id, canonical_id),
        ),
        links=query_rows(
            conn,
            """SELECT article_id, matched_id, level, similarity, method, reason, scores,
                      shared_passages, created_at
               FROM article_matches WHERE article_id = %s OR matched_id = %s
               ORDER BY created_at, article_id, matched_id""",
            (article_id, article_id),
        ),
    )
