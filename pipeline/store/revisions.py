"""New versions of stored articles (sql/011_article_revisions.sql): the article row shows the
latest text, article_revisions keeps every text, and the article's id, canonical and story stay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.models import Article
from pipeline.store.bulk import (
    insert_removals,
    insert_screens,
    insert_signatures,
    metadata_json,
    page_day,
)
from pipeline.store.database import Cursor


@dataclass(frozen=True)
class StoredVersion:
    """What a new version of an article is compared with."""

    article_id: int
    revision: int
    title: str | None
    body: str
    body_sha256: str
    raw_sha256: str


def stored_versions(cur: Cursor, uris: Sequence[str]) -> dict[str, StoredVersion]:
    """source_uri -> the version of that article the database shows now."""
    cur.execute(
        """SELECT source_uri, id, revision, title, body, body_sha256, raw_sha256 FROM articles
           WHERE source_uri = ANY(%s) FOR UPDATE""",
        (list(uris),),
    )
    return {uri: StoredVersion(*rest) for uri, *rest in cur.fetchall()}


def record_same_content(cur: Cursor, article_id: int, raw_sha256: str) -> None:
    """Other bytes, the same article after cleaning (a new ad slot, a timestamp): only the
    bytes' hash is remembered, so that the next run sees these bytes as known."""
    cur.execute("UPDATE articles SET raw_sha256 = %s WHERE id = %s", (raw_sha256, article_id))


@dataclass
class NewRevision:
    stored: StoredVersion
    article: Article
    change: str  # what changed, in words
    signatures: list[tuple[str, bytes]]
    screen: bytes


def add_revision(cur: Cursor, row: NewRevision, run_id: int, hashing: str) -> int:
    """Store `row` as the article's next revision; returns its number."""
    stored, article = row.stored, row.article
    if stored.revision == 1:  # the first text is kept when the second arrives (see the schema)
        cur.execute(
            """INSERT INTO article_revisions (article_id, revision, fetched_at, run_id, raw_sha256,
                                              body_sha256, title, body)
               SELECT id, 1, ingested_at, run_id, raw_sha256, body_sha256, title, body
               FROM articles WHERE id = %s ON CONFLICT DO NOTHING""",
            (stored.article_id,),
        )
    revision = stored.revision + 1
    meta = article.metadata
    cur.execute(
        """INSERT INTO article_revisions (article_id, revision, run_id, raw_sha256, body_sha256,
                                          title, body, change)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            stored.article_id, revision, run_id, article.raw_sha256, article.body_sha256,
            meta.title, article.body, row.change,
        ),
    )  # fmt: skip
    # The first publication date stays: an update's page often shows its modification date.
    cur.execute(
        """UPDATE articles SET revision = %s, revised_at = now(), title = %s,
               authors = CASE WHEN cardinality(%s::text[]) > 0 THEN %s::text[] ELSE authors END,
               published_day = CASE WHEN published_at IS NULL THEN %s ELSE published_day END,
               published_utc_offset = CASE WHEN published_at IS NULL THEN %s::interval
                                           ELSE published_utc_offset END,
               published_at = COALESCE(published_at, %s), updated_at = %s,
               language = %s, body = %s,
               raw_sha256 = %s, body_sha256 = %s, metadata = %s::jsonb,
               removed_share = %s, cleaning_audit = %s
           WHERE id = %s""",
        (
            revision, meta.title, list(meta.authors), list(meta.authors),
            *page_day(meta.published_at), meta.published_at, meta.updated_at,
            meta.language, article.body, article.raw_sha256, article.body_sha256,
            metadata_json(article), article.removed_share, article.audit,
            stored.article_id,
        ),
    )  # fmt: skip
    # What the old text left: replaced below by the new text's.
    cur.execute("DELETE FROM article_removals WHERE article_id = %s", (stored.article_id,))
    cur.execute("DELETE FROM article_fingerprints WHERE article_id = %s", (stored.article_id,))
    cur.execute("DELETE FROM article_screens WHERE article_id = %s", (stored.article_id,))
    insert_removals(cur, [(stored.article_id, article)])
    insert_signatures(cur, [(stored.article_id, *signature) for signature in row.signatures])
    insert_screens(cur, [(stored.article_id, row.screen)], hashing)
    cur.execute(
        """UPDATE article_search s
           SET search_vector = newsdedup_search_document(a.language, a.title, a.body)
           FROM articles a WHERE a.id = s.article_id AND a.id = %s""",
        (stored.article_id,),
    )  # a canonical article's document follows its text; a duplicate has none
    return revision


def revisions_of(cur: Cursor, article_id: int) -> list[tuple[int, str, str, str]]:
    """(revision, fetched_at, body_sha256, change) of an article, oldest first."""
    cur.execute(
        """SELECT revision, fetched_at::text, body_sha256, change FROM article_revisions
           WHERE article_id = %s ORDER BY revision""",
        (article_id,),
    )
    return [(int(n), when, sha, change) for n, when, sha, change in cur.fetchall()]
