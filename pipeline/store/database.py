"""Which PostgreSQL to talk to, and the embedded server used when none is configured.

Order of precedence (the CLI and the DAGs share it): an explicit URL, then
$NEWSDEDUP_DATABASE_URL, then the embedded pgserver whose data directory lives in the project.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql

from pipeline.config import ConfigError, data_dir, database_url

log = logging.getLogger(__name__)

Connection = psycopg2.extensions.connection
Cursor = psycopg2.extensions.cursor

# What the database raises for the content of one row (a value it cannot hold, a constraint or
# a trigger refusing it) rather than for its own state: the error one article can cause, and
# that placing the batch without that article avoids (pipeline/ingest/batch.py). A lost
# connection (OperationalError) is not among them: every row would fail the same way.
_ROW_ERRORS: tuple[type[Exception], ...] = (
    psycopg2.DataError,
    psycopg2.IntegrityError,
    psycopg2.errors.RaiseException,
    UnicodeEncodeError,
    ValueError,  # psycopg2's "A string literal cannot contain NUL (0x00) characters"
)


def is_row_refused(exc: BaseException) -> bool:
    """Whether `exc` is the database refusing what one row holds (see _ROW_ERRORS). A COPY
    whose data could not be encoded is cancelled by psycopg2 (QueryCanceled, like a statement
    timeout, which is not a row's fault): told apart by its message."""
    if isinstance(exc, psycopg2.errors.QueryCanceled):
        return str(exc).startswith("COPY from stdin failed")
    return isinstance(exc, _ROW_ERRORS)


EMBEDDED_DATABASE = "newsdedup"
# Connection extras that are libpq options (Airflow Connections carry them in `extra`).
LIBPQ_OPTIONS = frozenset(
    {"sslmode", "sslcert", "sslkey", "sslrootcert", "connect_timeout", "options",
     "application_name", "target_session_attrs", "keepalives", "keepalives_idle"}
)  # fmt: skip


def embedded_data_dir() -> Path:
    return data_dir() / "pg"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_dead_handles(pgdata: Path) -> None:
    """pgserver reference-counts its users in .handle_pids.json but never forgets a killed one.

    A dead PID left there means nobody ever counts down to zero, so `db stop` and the last
    user's exit would disagree about who owns the server. Forget the dead before starting.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def start_embedded(pgdata: Path | None = None) -> str:
    """Start (or join) the embedded server and return the URL of the project database.

    The server keeps running after this process exits, so that psql and later runs find it;
    `newsdedup db stop` stops it.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine here.
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = (pgdata or embedded_data_dir()).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _drop_dead_handles(pgdata)
    created = not (pgdata / "PG_VERSION").exists()
    server = pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    admin_url: str = server.get_uri()
    _restrict_access(pgdata, admin_url)
    if _tune_for_bulk_loads(admin_url) and created:
        # shared_buffers takes effect at a start: restart the server this call just made, which
        # nobody else uses yet (pg_ctl restart keeps the options pgserver started it with)
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-l", str(pgdata / "log"), "restart"], pgdata=pgdata, user=user)
    _ensure_database(admin_url, EMBEDDED_DATABASE)
    url: str = server.get_uri(EMBEDDED_DATABASE)
    return url


# Who may log in to the embedded server. pgserver runs it on a Unix socket only (`-h ""`, no
# TCP) and initdb's it with `trust` for every line. Trust stays on the socket, whose file and
# directory only the server's OS user may open (root passes any mode, as it does for the data
# dir). TCP lines ask for a SCRAM password, which no role has unless one is set: should anyone
# start the data dir listening on TCP by hand (pg_ctl -o "-h ..."), nobody logs in without one.
PG_HBA = """\
# Written by newsdedup (pipeline/store/database.py) at every start: edits here are replaced.
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 trust
host    all          all   127.0.0.1/32  scram-sha-256
host    all          all   ::1/128       scram-sha-256
local   replication  all                 trust
host    replication  all   127.0.0.1/32  scram-sha-256
host    replication  all   ::1/128       scram-sha-256
"""
SOCKET_MODE = 0o700


def _restrict_access(pgdata: Path, admin_url: str) -> None:
    """Bring the server to PG_HBA and an owner-only socket, in place: a data dir made before
    these rules (trust over TCP, a socket anyone may open) is upgraded by a reload, with no
    restart, so that others' connections to a running server survive."""
    changed = _write_owned_like(pgdata / "pg_hba.conf", PG_HBA, owner_of=pgdata)
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            # The socket's mode is set when the server creates it, at its start: this holds
            # from the next start on; until then the running socket is chmod-ed below.
            cur.execute(
                "SELECT setting FROM pg_file_settings WHERE name = 'unix_socket_permissions'"
                " ORDER BY seqno DESC LIMIT 1"
            )
            row = cur.fetchone()
            if row is None or row[0] != f"{SOCKET_MODE:04o}":
                cur.execute(
                    "ALTER SYSTEM SET unix_socket_permissions = %s", (f"{SOCKET_MODE:04o}",)
                )
                changed = True
            if changed:
                cur.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()
    _restrict_socket(pgdata)


def _write_owned_like(path: Path, text: str, owner_of: Path) -> bool:
    """Replace `path` by `text` (0600, owned as `owner_of`) unless it holds it already; a
    rename, so that a crash never leaves a half-written file for the server to refuse.
    Returns whether it was replaced."""
    if path.exists() and path.read_text() == text:
        return False
    owner = owner_of.stat()
    # A name of its own: concurrent starts (parallel tasks) each write theirs
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    with os.fdopen(fd, "w") as file:
        file.write(text)
    if os.geteuid() == 0:  # the server runs as pgserver's user and must read it
        os.chown(temp, owner.st_uid, owner.st_gid)
    os.replace(temp, path)
    return True


def _restrict_socket(pgdata: Path) -> None:
    """Make the running server's socket and its directory its OS user's alone. The directory
    is the data dir, or for a data dir whose path is too long for a socket, one pgserver makes
    under its runtime dir (and opens to everyone when it runs as root)."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or info.socket_dir is None or info.socket_path is None:
        return
    owner = pgdata.stat()
    if info.socket_dir != pgdata:
        if os.geteuid() == 0:  # pgserver's user must still create and remove the socket there
            os.chown(info.socket_dir, owner.st_uid, owner.st_gid)
        info.socket_dir.chmod(SOCKET_MODE)
    info.socket_path.chmod(SOCKET_MODE)


# The embedded server's settings for a backfill (BENCHMARKS.md, issue 21): checkpoints far apart,
# so that a large load writes each page's full image to the WAL once per checkpoint rather than
# every few seconds; more buffers than initdb's 128 MB for the articles' indexes.
BULK_LOAD_SETTINGS = {
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "checkpoint_completion_target": "0.9",
    "shared_buffers": "512MB",
}


def _tune_for_bulk_loads(admin_url: str) -> bool:
    """ALTER SYSTEM to BULK_LOAD_SETTINGS where they differ, and reload; returns whether a
    setting that needs a restart (shared_buffers) was changed."""
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            needs_restart = False
            for name, value in BULK_LOAD_SETTINGS.items():
                cur.execute(
                    "SELECT setting, unit, context FROM pg_settings WHERE name = %s", (name,)
                )
                row = cur.fetchone()
                if row is None or _same_setting(row[0], row[1], value):
                    continue
                cur.execute(
                    sql.SQL("ALTER SYSTEM SET {} = %s").format(sql.Identifier(name)), (value,)
                )
                needs_restart = needs_restart or row[2] == "postmaster"
            cur.execute("SELECT pg_reload_conf()")
        return needs_restart
    finally:
        conn.close()


_UNITS = {"kB": 1024, "8kB": 8192, "MB": 2**20, "GB": 2**30, "s": 1, "min": 60}


def _same_setting(setting: str, unit: str | None, wanted: str) -> bool:
    """Whether pg_settings' value (in its unit) is the wanted one ('8GB', '30min', '0.9')."""
    number = "".join(c for c in wanted if c.isdigit() or c == ".")
    suffix = wanted[len(number) :]
    if not suffix:
        return float(setting) == float(number)
    return float(setting) * _UNITS.get(unit or "", 1) == float(number) * _UNITS[suffix]


def stop_embedded(pgdata: Path | None = None) -> bool:
    """Stop the embedded server if it runs; return whether it was running."""
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]
    from pgserver.utils import PostmasterInfo

    pgdata = (pgdata or embedded_data_dir()).resolve()
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return False
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop"], pgdata=pgdata, user=user)
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        handles.write_text("[]")
    return True


def _ensure_database(admin_url: str, name: str) -> None:
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def query_rows(
    conn: Connection, query: str, params: tuple[Any, ...] | Mapping[str, Any] = ()
) -> list[dict[str, Any]]:
    """The rows of one read, each as {column name: value}, in a transaction of its own."""
    with conn, conn.cursor() as cur:
        cur.execute(query, params)
        names = [col.name for col in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def jsonable(value: Any) -> Any:
    """Dates as ISO strings, Decimals as floats, recursively: what a JSON API can return."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


class ConnectionFields(Protocol):
    """What an Airflow Connection carries (airflow.sdk.Connection, airflow.models.Connection)."""

    host: str | None
    port: int | None
    login: str | None
    password: str | None
    schema: str | None

    @property
    def extra_dejson(self) -> dict[str, Any]: ...


def dsn_from_connection(conn: ConnectionFields) -> str:
    """A libpq DSN from a Connection's fields; extras that are libpq options pass through.

    The DAG and the plugin build it themselves rather than going through PostgresHook.get_conn():
    the provider hands out psycopg 3 connections when psycopg 3 is installed, and the pipeline
    is written against psycopg2."""
    libpq_options = {k: v for k, v in conn.extra_dejson.items() if k in LIBPQ_OPTIONS}
    dsn: str = psycopg2.extensions.make_dsn(
        host=conn.host or None,
        port=conn.port or None,
        user=conn.login or None,
        password=conn.password or None,
        dbname=conn.schema or None,
        **libpq_options,
    )
    return dsn


def resolve_database_url(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    from_env = database_url()
    if from_env:
        return from_env
    return start_embedded()


class BadDatabaseUrl(ConfigError):
    """A database URL libpq cannot read (a setting's fault, not the server's)."""


def connect(url: str) -> psycopg2.extensions.connection:
    try:
        return psycopg2.connect(url, application_name="newsdedup")
    except psycopg2.ProgrammingError as exc:  # libpq's "invalid dsn": nothing was contacted
        reason = (str(exc).strip().splitlines() or ["invalid dsn"])[0]
        raise BadDatabaseUrl(f"bad database URL: {reason}") from None
