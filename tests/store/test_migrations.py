from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import SQL_DIR
from pipeline.store import database
from tests.conftest import query


def test_migrations_apply_once_and_are_recorded(db: store.Connection) -> None:
    versions = [v for (v,) in query(db, "SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [p.stem for p in store.migration_files()]
    assert store.apply_migrations(db) == []


def test_analyst_contract_columns(db: store.Connection) -> None:
    def columns(relation: str) -> set[str]:
        rows = query(
            db,
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
            (relation,),
        )
        return {name for (name,) in rows}

    assert columns("articles") >= {
        "id",
        "source_uri",
        "outlet",
        "title",
        "authors",
        "published_at",
        "language",
        "body",
        "raw_sha256",
        "body_sha256",
        "ingested_at",
        "canonical_id",
    }
    assert columns("article_duplicates") >= {"article_id", "canonical_id", "similarity", "method"}
    assert "duplicate_count" in columns("canonical_articles")
    assert columns("rejected_inputs") >= {"source_uri", "reason", "detail", "rejected_at"}
    assert columns("ingest_runs") >= {"inputs_read", "loaded", "merged", "rejected"}
    assert columns("story_clusters") >= {"story_id", "article_id", "role"}


def test_an_edited_applied_migration_is_refused(db: store.Connection, tmp_path: Path) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    first = store.migration_files(sql_dir)[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(store.MigrationError, match=first.name):
        store.apply_migrations(db, sql_dir)


def _article(cur: store.Cursor, article_id: int) -> None:
    cur.execute(
        """INSERT INTO articles (id, source_uri, body, raw_sha256, body_sha256, canonical_id,
                                 story_id)
           VALUES (%s, %s, 'text', 'r', 'b', %s, %s)""",
        (article_id, f"test:{article_id}", article_id, article_id),
    )


def _migrations_before(version: str, into: Path) -> Path:
    into.mkdir()
    for path in store.migration_files():
        if path.stem < version:
            shutil.copy(path, into)
    return into


def test_lsh_buckets_keep_their_rows_when_scheme_keys_become_ids(
    database_url: str, tmp_path: Path
) -> None:
    """010 turns each bucket row's scheme key into fingerprint_schemes.id, row for row."""
    conn = database.connect(database_url)
    try:
        store.apply_migrations(conn, _migrations_before("010", tmp_path / "to-009"))
        old_rows = [("words3:x", 0, -5, 1), ("words3:x", 1, 7, 1), ("terms:y", 0, 7, 2)]
        with conn, conn.cursor() as cur:
            _article(cur, 1)
            _article(cur, 2)
            cur.execute("INSERT INTO fingerprint_schemes (scheme) VALUES ('words3:x')")
            cur.executemany("INSERT INTO lsh_buckets VALUES (%s, %s, %s, %s)", old_rows)
        store.apply_migrations(conn, _migrations_before("016", tmp_path / "to-015"))
        migrated = query(
            conn,
            "SELECT s.scheme, l.band, l.bucket, l.article_id FROM lsh_buckets l "
            "JOIN fingerprint_schemes s ON s.id = l.scheme_id ORDER BY 4, 2",
        )
        assert migrated == old_rows  # "terms:y" was missing from fingerprint_schemes: added
        (ids,) = query(conn, "SELECT count(DISTINCT id) FROM fingerprint_schemes")[0]
        assert ids == 2
    finally:
        conn.close()


def test_stored_fingerprints_get_a_change_order_when_the_index_leaves_the_database(
    database_url: str, tmp_path: Path
) -> None:
    """016 drops lsh_buckets and numbers the stored fingerprint rows, which the in-memory index
    is built from; rows written later are numbered after them."""
    conn = database.connect(database_url)
    try:
        store.apply_migrations(conn, _migrations_before("016", tmp_path / "to-015"))
        with conn, conn.cursor() as cur:
            for article_id in (1, 2):
                _article(cur, article_id)
                cur.execute(
                    "INSERT INTO article_fingerprints VALUES (%s, 'words3:x', '\\x00')",
                    (article_id,),
                )
        store.apply_migrations(conn)
        assert query(conn, "SELECT to_regclass('lsh_buckets')") == [(None,)]
        with conn, conn.cursor() as cur:
            _article(cur, 3)
            cur.execute("INSERT INTO article_fingerprints VALUES (3, 'words3:x', '\\x00')")
        numbered = query(conn, "SELECT article_id FROM article_fingerprints ORDER BY change_seq")
        assert [i for (i,) in numbered][-1] == 3 and len({i for (i,) in numbered}) == 3
        origin, newest = store.index_origin(conn.cursor())
        assert len(origin) == 36 and newest == 3
    finally:
        conn.close()
