"""No analyst can stall the pipeline (issue 40): locks an analyst session holds delay no command,
every analyst login has a statement timeout, search parses its query once and bounds it, and
the analyst role cannot create large objects nor see through site_boilerplate's filter.

Each test uses a real second session: a LOGIN role that is a member of newsdedup_analyst."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest

from pipeline import store
from pipeline.config import SQL_DIR
from pipeline.store import Connection
from pipeline.store.migrations import MigrationError
from tests.conftest import SAMPLES, query

MIGRATION_LOCK = 7_146_001  # pipeline/store/migrations.py
OLD_DEDUPE_LOCK = 7_146_002  # the advisory lock loads took before sql/021


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args, "--database-url", database_url],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NEWSDEDUP_INGEST_WORKERS": "1"},
    )


def _analyst_session(analyst: Connection) -> Connection:
    """A new session of the analyst fixture's login (role settings apply at login)."""
    conn = psycopg2.connect(analyst.dsn)
    conn.autocommit = True
    return conn


def test_an_analyst_holding_the_pipelines_lock_ids_delays_no_command(
    database_url: str, db: Connection, analyst: Connection
) -> None:
    # Before (6862b0c): every command hung on the migration lock, with no timeout.
    analyst.autocommit = True
    with analyst.cursor() as cur:
        cur.execute(
            "SELECT pg_advisory_lock(%s), pg_advisory_lock(%s)", (MIGRATION_LOCK, OLD_DEDUPE_LOCK)
        )
    started = time.monotonic()
    loaded = _cli(database_url, "ingest", str(SAMPLES))
    found = _cli(database_url, "search", "storm")
    assert loaded.returncode == 0, loaded.stderr
    assert found.returncode == 0, found.stderr
    assert time.monotonic() - started < 150
    assert query(db, "SELECT count(*) FROM articles")[0][0] >= 5
    # the lock loads take now is the pipeline's alone
    analyst.autocommit = False
    with pytest.raises(psycopg2.errors.InsufficientPrivilege), analyst.cursor() as cur:
        cur.execute("LOCK TABLE dedupe_lock IN EXCLUSIVE MODE")


def test_a_pending_migration_waits_at_most_the_lock_timeout_and_names_the_holder(
    database_url: str, db: Connection, analyst: Connection, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    (sql_dir / "999_pending.sql").write_text("CREATE TABLE pending_one (x int);\n")
    holder = _analyst_session(analyst)
    with holder.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s), pg_backend_pid()", (MIGRATION_LOCK,))
        holder_pid = cur.fetchone()[1]  # type: ignore[index]
    monkeypatch.setenv("NEWSDEDUP_LOCK_TIMEOUT_SECONDS", "1")
    started = time.monotonic()
    with pytest.raises(MigrationError) as failed:
        store.apply_migrations(db, sql_dir)
    assert time.monotonic() - started < 10
    assert f"held by pid {holder_pid}" in str(failed.value)
    assert "waited 1 s for a lock" in str(failed.value)
    holder.close()  # the holder leaves: the next command applies it
    assert store.apply_migrations(db, sql_dir) == ["999_pending"]
    assert store.apply_migrations(db, sql_dir) == []


def test_every_analyst_login_gets_the_statement_timeout_and_the_owner_none(
    db: Connection, analyst: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: no statement_timeout; one analyst query held a backend for minutes.
    monkeypatch.setenv("NEWSDEDUP_ANALYST_STATEMENT_TIMEOUT_SECONDS", "0.5")
    store.apply_migrations(db)  # what every command does: the login made since gets it
    session = _analyst_session(analyst)
    with session.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone() == ("500ms",)
        with pytest.raises(psycopg2.errors.QueryCanceled):
            cur.execute("SELECT pg_sleep(5)")
    session.close()
    assert query(db, "SHOW statement_timeout") == [("0",)]


def test_search_parses_its_query_once_and_refuses_a_long_one(db: Connection) -> None:
    from pipeline.cli import main

    url = db.dsn
    assert main(["ingest", "--database-url", url, str(SAMPLES)]) == 0
    with db, db.cursor() as cur:
        cur.execute("SET LOCAL track_functions = 'all'")
        cur.execute("SELECT count(*) FROM search_articles('russia')")
        hits = cur.fetchone()[0]  # type: ignore[index]
        cur.execute(
            """SELECT calls FROM pg_stat_xact_user_functions
               WHERE funcname = 'newsdedup_search_query'"""
        )
        calls = cur.fetchone()[0]  # type: ignore[index]
    assert hits >= 3
    assert calls == 1  # before: once for every article filtered, ranked and excerpted
    with pytest.raises(psycopg2.errors.InvalidParameterValue, match="at most 256 characters"):
        query(db, "SELECT * FROM search_articles(%s)", ("x" * 257,))
    assert query(db, "SELECT count(*) FROM search_articles(%s)", ("storm " * 42,))[0][0] >= 0


def test_the_analyst_creates_no_large_object(db: Connection, analyst: Connection) -> None:
    # Before: lo_from_bytea returned a new object's oid.
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        query(analyst, "SELECT lo_from_bytea(0, 'data that is stored outside every table')")


def test_a_leaky_function_sees_no_row_site_boilerplate_hides(
    db: Connection, analyst: Connection
) -> None:
    with db, db.cursor() as cur:
        cur.execute(
            """INSERT INTO site_lines (site, line_key, line, articles)
               VALUES ('secret.example', 'k1', NULL, 1), ('open.example', 'k2', 'Subscribe', 5)"""
        )
    session = _analyst_session(analyst)
    with session.cursor() as cur:
        cur.execute(
            """CREATE FUNCTION pg_temp.peek(site text) RETURNS boolean LANGUAGE plpgsql COST 0.0001
               AS $$ BEGIN RAISE NOTICE 'peeked at %', site; RETURN true; END $$"""
        )
        cur.execute("SELECT site FROM site_boilerplate WHERE pg_temp.peek(site)")
        assert cur.fetchall() == [("open.example",)]
    peeked = " ".join(session.notices)
    session.close()
    assert "open.example" in peeked
    assert "secret.example" not in peeked  # before: "peeked at secret.example"


def test_commands_starting_together_give_an_analyst_its_timeout_once(
    database_url: str, db: Connection, analyst: Connection
) -> None:
    # Before (sql/021 alone): two workers starting at once both ran ALTER ROLE, and one failed
    # with "duplicate key value violates unique constraint pg_db_role_setting_..."
    first, second = psycopg2.connect(database_url), psycopg2.connect(database_url)
    with first.cursor() as a, second.cursor() as b:
        a.execute("SELECT newsdedup_limit_analysts('7s')")  # holds its lock until commit
        a.fetchall()
        waiting = threading.Thread(
            target=b.execute, args=("SELECT newsdedup_limit_analysts('7s')",)
        )
        waiting.start()
        time.sleep(0.5)
        first.commit()
        waiting.join(timeout=30)
        assert b.fetchone() == (0,)  # it waited, then found nothing left to do
    second.commit()
    first.close()
    second.close()
    session = _analyst_session(analyst)
    with session.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone() == ("7s",)
    session.close()
