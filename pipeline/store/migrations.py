"""The schema: sql/'s ordered migrations, applied once each and recorded in schema_migrations.

Every command, DAG task and ops page request checks the schema before it starts, so that check
takes no lock: an analyst session holding any lock (an advisory lock, a long query on a table a
migration alters) must not stall the pipeline. Only a process with something to apply takes the
migration lock, and it waits for locks at most `lock_timeout_seconds`, then fails naming who
holds them.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import psycopg2.errors

from pipeline.config import SQL_DIR, analyst_statement_timeout_seconds, lock_timeout_seconds
from pipeline.store.database import Connection, Cursor

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every process that runs migrations
# against one database. A session that holds it delays a migration by lock_timeout at most.
_MIGRATION_LOCK = 7_146_001


class MigrationError(RuntimeError):
    pass


def migration_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    return sorted(sql_dir.glob("[0-9][0-9][0-9]_*.sql"))


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_text(encoding="utf-8").encode()).hexdigest()


def _recorded(cur: Cursor) -> dict[str, str]:
    cur.execute("SELECT to_regclass('schema_migrations')")
    if cur.fetchone() == (None,):
        return {}
    cur.execute("SELECT version, checksum FROM schema_migrations")
    return dict(cur.fetchall())


def pending_migrations(cur: Cursor, sql_dir: Path = SQL_DIR) -> list[Path]:
    """The files not applied yet, read without a lock. An applied file whose text changed is
    an error: fix forward with a new file instead of editing history."""
    recorded = _recorded(cur)
    pending = []
    for path in migration_files(sql_dir):
        checksum = recorded.get(path.stem)
        if checksum is None:
            pending.append(path)
        elif checksum != _checksum(path):
            raise MigrationError(f"{path.name} changed after it was applied")
    return pending


def apply_migrations(conn: Connection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply the sql/NNN_*.sql files not yet recorded; return the versions applied now.

    They run in one transaction under an advisory lock, so workers starting together apply
    each once; the lock is taken only when the lock-free check finds something to apply.
    """
    with conn, conn.cursor() as cur:
        if not pending_migrations(cur, sql_dir):
            _limit_analysts(cur)
            return []
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT set_config('lock_timeout', %s, true)", (_lock_timeout(),))
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            applied = _apply_pending(cur, sql_dir)
    except psycopg2.errors.LockNotAvailable as exc:
        raise MigrationError(_lock_message(conn, exc)) from None
    with conn, conn.cursor() as cur:
        _limit_analysts(cur)
    return applied


def _apply_pending(cur: Cursor, sql_dir: Path) -> list[str]:
    cur.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version    text PRIMARY KEY,
               checksum   text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )
    applied_now: list[str] = []
    for path in pending_migrations(cur, sql_dir):  # again: another process may have applied some
        migration = path.read_text(encoding="utf-8")  # a file of sql/, never a value
        cur.execute(migration)
        cur.execute(
            "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
            (path.stem, _checksum(path)),
        )
        applied_now.append(path.stem)
    return applied_now


def _lock_timeout() -> str:
    return f"{round(lock_timeout_seconds() * 1000)}ms"


def _lock_message(conn: Connection, exc: Exception) -> str:
    """Who holds what the migration waited for: the advisory lock or a table it alters."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT DISTINCT a.pid, a.usename, a.application_name
               FROM pg_locks w
               JOIN pg_locks h ON h.granted AND NOT w.granted AND h.pid <> w.pid
                    AND h.locktype = w.locktype
                    AND h.database IS NOT DISTINCT FROM w.database
                    AND h.relation IS NOT DISTINCT FROM w.relation
                    AND h.objid IS NOT DISTINCT FROM w.objid
               JOIN pg_stat_activity a ON a.pid = h.pid
               WHERE w.pid = pg_backend_pid()
               UNION
               SELECT a.pid, a.usename, a.application_name
               FROM pg_locks h JOIN pg_stat_activity a ON a.pid = h.pid
               WHERE h.locktype = 'advisory' AND h.granted AND h.objid = %s
                 AND h.database = (SELECT oid FROM pg_database
                                   WHERE datname = current_database())""",
            (_MIGRATION_LOCK,),
        )
        holders = ", ".join(
            f"pid {pid} ({user}{', ' + app if app else ''})" for pid, user, app in cur.fetchall()
        )
    first_line = str(exc).strip().splitlines()[0]
    return (
        f"migrations not applied: waited {lock_timeout_seconds():g} s for a lock ({first_line})"
        + (f"; held by {holders}" if holders else "")
        + ". Run again when that session ends (NEWSDEDUP_LOCK_TIMEOUT_SECONDS sets the wait)."
    )


def _limit_analysts(cur: Cursor) -> None:
    """Give every login of the analyst role its statement_timeout in this database: a role's
    settings are not inherited by its members, so each member gets its own (sql/021). A
    schema migrated only part of the way (tests of old migrations) has no such function."""
    cur.execute("SELECT to_regprocedure('newsdedup_limit_analysts(text)') IS NOT NULL")
    if cur.fetchone() != (True,):
        return
    timeout = f"{round(analyst_statement_timeout_seconds() * 1000)}ms"
    cur.execute("SELECT newsdedup_limit_analysts(%s)", (timeout,))
    refused = cur.fetchone()
    if refused and refused[0]:
        log.warning(
            "%s analyst login(s) have no statement_timeout: this account may not alter roles "
            "(README, Analyst access)",
            refused[0],
        )
