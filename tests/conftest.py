"""Shared fixtures: one real PostgreSQL (pgserver) per test session, a fresh database per test."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from pipeline import store
from pipeline.store import database
from tests.support.http_server import LocalSite, serve

# Tests write their inbox files a moment before they ingest them: they are whole, so they need
# not wait out the settling time a live inbox gives files (config.file_settle_seconds; the
# tests of that wait set it themselves). Set here so that subprocesses inherit it too.
os.environ.setdefault("NEWSDEDUP_FILE_SETTLE_SECONDS", "0")
# A CLI ingest uses every core by default (config.ingest_workers): a pool whose fork server
# loads the models once per process. Tests ingest a few files each, many in subprocesses, where
# that start costs more than the work; the tests of the pool ask for it (workers=2), and
# tests/ingest/test_ingest.py checks the default.
os.environ.setdefault("NEWSDEDUP_INGEST_WORKERS", "1")

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of the admin database of a throwaway embedded server."""
    # Unix socket paths are limited to ~100 bytes: keep the data dir short.
    root = Path(tempfile.mkdtemp(prefix="nd-pg-"))
    pgdata = root / "pg"
    url = database.start_embedded(pgdata)
    admin_url = url.replace(f"/{database.EMBEDDED_DATABASE}?", "/postgres?")
    yield admin_url
    database.stop_embedded(pgdata)
    shutil.rmtree(root, ignore_errors=True)


def _admin_execute(pg_server: str, sql: str) -> None:
    admin = psycopg2.connect(pg_server)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(sql)
    finally:
        admin.close()


def create_database(pg_server: str) -> str:
    """A new, empty database on the test server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin_execute(pg_server, f'CREATE DATABASE "{name}"')
    return pg_server.replace("/postgres?", f"/{name}?")


def drop_database(pg_server: str, url: str) -> None:
    name = psycopg2.extensions.parse_dsn(url)["dbname"]
    _admin_execute(pg_server, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(pg_server: str) -> Iterator[str]:
    """A new, empty database for one test."""
    url = create_database(pg_server)
    yield url
    drop_database(pg_server, url)


@pytest.fixture
def db(database_url: str) -> Iterator[store.Connection]:
    conn = database.connect(database_url)
    store.apply_migrations(conn)
    yield conn
    conn.close()


def query(
    conn: store.Connection, sql: str, params: tuple[object, ...] = ()
) -> list[tuple[Any, ...]]:
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """An HTTP server on 127.0.0.1 whose routes a test sets (tests/support/http_server.py)."""
    yield from serve()


@pytest.fixture
def analyst(pg_server: str, database_url: str, db: store.Connection) -> Iterator[store.Connection]:
    """A connection as a real LOGIN role that is a member of newsdedup_analyst."""
    name = f"alice_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(pg_server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE newsdedup_analyst')
    url = re.sub(r"//[^@/]*@", f"//{name}@", database_url)
    assert name in url
    conn = psycopg2.connect(url)
    yield conn
    conn.close()
    with admin.cursor() as cur:
        cur.execute(f'DROP ROLE "{name}"')
    admin.close()
