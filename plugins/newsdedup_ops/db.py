"""The news database as the plugin (inside the api-server) sees it.

Same order as the DAG: the Airflow Connection `news_db` if one is defined (environment variable
AIRFLOW_CONN_NEWS_DB, a secrets backend or the metadata DB), else $NEWSDEDUP_DATABASE_URL, else the
embedded server. The api-server is not a task, so the Task SDK's Connection.get (which asks the
supervisor) is not available here: this reads Connections the way the api-server itself does.

Every connection has a statement_timeout (NEWSDEDUP_PLUGIN_STATEMENT_TIMEOUT_SECONDS, default
30): a page's query that runs longer (a search over a huge table, a table locked by a migration
or an analyst) is cancelled by the server and the request answered 503, instead of holding an
api-server thread and a database backend for as long as it takes.
"""

from __future__ import annotations

from pipeline import store
from pipeline.config import PLUGIN_STATEMENT_TIMEOUT_ENV, plugin_statement_timeout_seconds
from pipeline.store import database

NEWS_DB_CONN_ID = "news_db"
STATEMENT_TIMEOUT_ENV = PLUGIN_STATEMENT_TIMEOUT_ENV
statement_timeout_seconds = plugin_statement_timeout_seconds


def _connection_dsn() -> str | None:
    from airflow.models.connection import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get_connection_from_secrets(NEWS_DB_CONN_ID)
    except AirflowNotFoundException:
        return None
    return database.dsn_from_connection(conn)


def connect() -> store.Connection:
    """A new psycopg2 connection with the schema (and so the monitoring views) migrated, and
    the plugin's statement_timeout."""
    dsn = _connection_dsn() or database.resolve_database_url()
    conn = database.connect(dsn)
    try:
        # Read-only use, but the views of sql/006 must exist even before the next DAG run.
        # Migrations keep their own limits (a lock timeout): the timeout is set after them.
        store.apply_migrations(conn)
        with conn, conn.cursor() as cur:
            timeout = f"{round(statement_timeout_seconds() * 1000)}ms"
            cur.execute("SELECT set_config('statement_timeout', %s, false)", (timeout,))
    except BaseException:
        conn.close()
        raise
    return conn
