"""Who may log in to the embedded server: its owner over an owner-only Unix socket, and over TCP
(which it does not listen on) only with a SCRAM password. A data dir made before these rules is
brought up to them in place by the next start, without a restart and without losing data."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from pgserver._commands import pg_ctl  # type: ignore[attr-defined]
from pgserver.utils import PostmasterInfo

from pipeline import config
from pipeline.store import database
from tests.support.airflow_stack import free_port

SERVER_USER = "pgserver" if os.geteuid() == 0 else None


@pytest.fixture
def root() -> Iterator[Path]:
    """A short temp dir (Unix socket paths are limited to ~100 bytes) for one data dir."""
    path = Path(tempfile.mkdtemp(prefix="nd-auth-"))
    yield path
    database.stop_embedded(path / "pg")
    shutil.rmtree(path, ignore_errors=True)


def _info(pgdata: Path) -> PostmasterInfo:
    info = PostmasterInfo.read_from_pgdata(pgdata)
    assert info is not None and info.is_running()
    return info


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query)
        rows = cur.fetchall()
    conn.close()
    return rows


def _hba_rules(url: str) -> set[tuple[str, str]]:
    return {
        (str(t), str(m)) for t, m in _rows(url, "SELECT type, auth_method FROM pg_hba_file_rules")
    }


def _login_over_tcp(pgdata: Path, user: str, password: str) -> None:
    """Start the (stopped) data dir listening on 127.0.0.1, as anyone could by hand with pg_ctl,
    and log in there as `user` with `password`; the server is stopped again either way."""
    port = free_port()
    options = f"-h 127.0.0.1 -p {port} -k {pgdata}"
    log = str(pgdata / "tcp-test.log")
    pg_ctl(["-w", "-o", options, "-l", log, "start"], pgdata=pgdata, user=SERVER_USER)
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=port, user=user, password=password,
                                dbname="postgres", connect_timeout=10)  # fmt: skip
        conn.close()
    finally:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=SERVER_USER)


def _assert_owner_only_socket(pgdata: Path) -> None:
    info = _info(pgdata)
    assert info.socket_dir is not None and info.socket_path is not None
    assert _mode(info.socket_path) & 0o077 == 0, oct(_mode(info.socket_path))
    assert _mode(info.socket_dir) & 0o077 == 0, oct(_mode(info.socket_dir))
    assert info.socket_path.stat().st_uid == pgdata.stat().st_uid
    assert info.socket_dir.stat().st_uid == pgdata.stat().st_uid


def test_the_server_listens_on_no_tcp_address(root: Path) -> None:
    url = database.start_embedded(root / "pg")
    assert _rows(url, "SHOW listen_addresses") == [("",)]


def test_tcp_lines_of_the_hba_ask_for_a_scram_password_and_none_trusts(root: Path) -> None:
    url = database.start_embedded(root / "pg")
    rules = _hba_rules(url)
    assert {method for kind, method in rules if kind.startswith("host")} == {"scram-sha-256"}
    assert ("local", "trust") in rules


def test_a_tcp_login_needs_the_right_password(root: Path) -> None:
    pgdata = root / "pg"
    url = database.start_embedded(pgdata)
    _rows(url, "CREATE ROLE tcp_user LOGIN PASSWORD 'right-password'; SELECT 1")
    database.stop_embedded(pgdata)
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        _login_over_tcp(pgdata, "postgres", "any-password")
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        _login_over_tcp(pgdata, "tcp_user", "wrong-password")
    _login_over_tcp(pgdata, "tcp_user", "right-password")


def test_the_socket_and_its_directory_are_owner_only(root: Path) -> None:
    pgdata = root / "pg"
    url = database.start_embedded(pgdata)
    _assert_owner_only_socket(pgdata)
    assert _rows(url, "SHOW unix_socket_permissions") == [("0700",)]


def test_a_socket_outside_a_long_data_dir_is_owner_only_too(root: Path) -> None:
    """pgserver puts the socket of a data dir whose path is too long for one in a runtime dir
    of its own (world-writable when it runs as root)."""
    pgdata = root / ("d" * 90) / "pg"
    pgdata.parent.mkdir()
    url = database.start_embedded(pgdata)
    socket_dir = _info(pgdata).socket_dir
    try:
        assert socket_dir is not None and socket_dir != pgdata
        _assert_owner_only_socket(pgdata)
        assert _rows(url, "SELECT current_database()") == [("newsdedup",)]
    finally:
        database.stop_embedded(pgdata)
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)


def _cli_db(root: Path, action: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != config.DATABASE_URL_ENV}
    env["NEWSDEDUP_DATA_DIR"] = str(root)
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "db", action], env=env,
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    return result.stdout.strip()


def _old_style_server(pgdata: Path) -> str:
    """A data dir as pgserver makes it, as every start did before these rules (trust everywhere,
    a socket anyone may open), with a table of one row; returns the admin URL."""
    start = (
        "import sys, pgserver\nprint(pgserver.get_server(sys.argv[1], cleanup_mode=None).get_uri())"
    )
    made = subprocess.run([sys.executable, "-W", "ignore", "-c", start, str(pgdata)],
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    admin_url = made.stdout.strip().splitlines()[-1]
    _rows(
        admin_url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here'); SELECT 1"
    )
    socket = _info(pgdata).socket_path
    assert socket is not None and _mode(socket) == 0o777
    assert ("host", "trust") in _hba_rules(admin_url)
    return admin_url


def test_an_existing_data_dir_is_upgraded_in_place_without_losing_data(root: Path) -> None:
    pgdata = root / "pg"
    admin_url = _old_style_server(pgdata)
    pid = _info(pgdata).pid
    _cli_db(root, "start")
    assert _info(pgdata).pid == pid  # the running server was reloaded, not restarted
    _assert_owner_only_socket(pgdata)
    assert {m for t, m in _hba_rules(admin_url) if t.startswith("host")} == {"scram-sha-256"}
    assert _rows(admin_url, "SELECT note FROM kept") == [("still here",)]
    assert "stopped" in _cli_db(root, "stop")
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        _login_over_tcp(pgdata, "postgres", "any-password")
    _cli_db(root, "start")  # the settings hold from the server's own start on
    _assert_owner_only_socket(pgdata)
    assert _rows(admin_url, "SHOW unix_socket_permissions") == [("0700",)]
    assert _rows(admin_url, "SELECT note FROM kept") == [("still here",)]
