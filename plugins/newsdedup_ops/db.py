"""The news database as the plugin (inside the api-server) sees it.

Same order as the DAG: the Airflow Connection `news_db` if one is defined (environment variable
AIRFLOW_CONN_NEWS_DB, a secrets backend or the metadata DB), else $NEWSDEDUP_DATABASE_URL, else the
embedded server. The api-server is not a task, so the Task SDK's Connection.get (which asks the
supervisor) is not available here: this reads Connections the way the api-server itself does.
"""

from __future__ import annotations

from pipeline import store
from pipeline.store import database

NEWS_DB_CONN_ID = "news_db"


def _connection_dsn() -> str | None:
    from airflow.models.connection import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get_connection_from_secrets(NEWS_DB_CONN_ID)
    except AirflowNotFoundException:
        return None
    return database.dsn_from_connection(conn)


def connect() -> store.Connection:
    """A new psycopg2 connection with the schema (and so the monitoring views) migrated."""
    dsn = _connection_dsn() or database.resolve_database_url()
    conn = database.connect(dsn)
    # Read-only use, but the views of sql/006 must exist even before the next DAG run.
    store.apply_migrations(conn)
    return conn
