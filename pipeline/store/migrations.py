"""The schema: sql/'s ordered migrations, applied once each under an advisory lock and recorded
in schema_migrations."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.config import SQL_DIR
from pipeline.store.database import Connection

# Any constant works; it only has to be the same for every process that runs migrations
# or dedupe decisions against one database.
_MIGRATION_LOCK = 7_146_001


class MigrationError(RuntimeError):
    pass


def migration_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    return sorted(sql_dir.glob("[0-9][0-9][0-9]_*.sql"))


def apply_migrations(conn: Connection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply the sql/NNN_*.sql files not yet recorded; return the versions applied now.

    Each file runs in its own transaction under an advisory lock, so concurrent workers starting
    together apply each migration once. An applied file whose text changed is an error: fix
    forward with a new file instead of editing history.
    """
    applied_now: list[str] = []
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        cur.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    text PRIMARY KEY,
                   checksum   text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        cur.execute("SELECT version, checksum FROM schema_migrations")
        recorded = dict(cur.fetchall())
        for path in migration_files(sql_dir):
            text = path.read_text(encoding="utf-8")
            checksum = hashlib.sha256(text.encode()).hexdigest()
            version = path.stem
            if version in recorded:
                if recorded[version] != checksum:
                    raise MigrationError(f"{path.name} changed after it was applied")
                continue
            cur.execute(text)
            cur.execute(
                "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                (version, checksum),
            )
            applied_now.append(version)
    return applied_now
