"""The plugin's connections (plugins/newsdedup_ops/db.py) carry its statement_timeout, on a real
PostgreSQL. What the timeout does to a request: tests/plugins/test_plugin_api_limits.py."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
import pytest

from pipeline import store

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def _show_timeout(conn: store.Connection) -> str:
    with conn.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        row = cur.fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize(("setting", "shown"), [(None, "30s"), ("2.5", "2500ms"), ("0", "0")])
def test_the_plugins_connections_have_its_statement_timeout(
    database_url: str, monkeypatch: pytest.MonkeyPatch, setting: str | None, shown: str
) -> None:
    monkeypatch.syspath_prepend(str(PLUGINS))
    from newsdedup_ops import db

    # the news_db Connection, as the deployment passes it (no Airflow metadata DB needed)
    dsn = psycopg2.extensions.parse_dsn(database_url)
    fields = {"conn_type": "postgres", "host": dsn["host"], "login": dsn["user"],
              "schema": dsn["dbname"]}  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_NEWS_DB", json.dumps(fields))
    if setting is None:
        monkeypatch.delenv(db.STATEMENT_TIMEOUT_ENV, raising=False)
    else:
        monkeypatch.setenv(db.STATEMENT_TIMEOUT_ENV, setting)
    conn = db.connect()
    try:
        assert _show_timeout(conn) == shown
        conn.commit()  # a session setting: it outlives the transaction that set it
        assert _show_timeout(conn) == shown
    finally:
        conn.close()
