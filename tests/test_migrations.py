from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import SQL_DIR
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
