"""The embedded default database, driven through the CLI as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from pipeline import config
from pipeline.store import database
from tests.conftest import query


@pytest.fixture
def data_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="nd-cli-"))
    yield root
    database.stop_embedded(root / "pg")


def _cli(data_dir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != config.DATABASE_URL_ENV}
    env["NEWSDEDUP_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return result.stdout.strip()


def test_db_url_starts_the_embedded_server_and_it_outlives_the_command(data_dir: Path) -> None:
    url = _cli(data_dir, "db", "url")
    assert url.startswith("postgresql://") and str(data_dir) in url
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_database()")
        assert cur.fetchone() == ("newsdedup",)
    assert _cli(data_dir, "db", "url") == url
    assert "stopped" in _cli(data_dir, "db", "stop")
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(url, connect_timeout=3)


def test_a_killed_holder_does_not_wedge_the_server(data_dir: Path) -> None:
    url = _cli(data_dir, "db", "start")
    handles = data_dir / "pg" / ".handle_pids.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    handles.write_text(json.dumps([dead.pid]))
    assert _cli(data_dir, "db", "url") == url
    assert dead.pid not in json.loads(handles.read_text())
    assert "stopped" in _cli(data_dir, "db", "stop")
    assert "not running" in _cli(data_dir, "db", "stop")


def test_environment_url_wins_over_the_embedded_server(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.DATABASE_URL_ENV, database_url)
    assert database.resolve_database_url() == database_url
    assert database.resolve_database_url("postgresql://elsewhere/db") == "postgresql://elsewhere/db"


def test_the_embedded_server_is_set_up_for_bulk_loads(db: database.Connection) -> None:
    """Checkpoints far apart and more buffers, from its first start (it is restarted once)."""
    rows = query(
        db,
        "SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s) ORDER BY name",
        (sorted(database.BULK_LOAD_SETTINGS),),
    )
    assert len(rows) == len(database.BULK_LOAD_SETTINGS)
    for name, setting, unit in rows:
        assert database._same_setting(setting, unit, database.BULK_LOAD_SETTINGS[name]), name
