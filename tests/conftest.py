"""Shared fixtures: one real PostgreSQL (pgserver) per test session, a fresh database per test."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from pipeline import database, store

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


@pytest.fixture
def database_url(pg_server: str) -> Iterator[str]:
    """A new, empty database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(pg_server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.replace("/postgres?", f"/{name}?")
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


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
