"""news_ingest: pick up new article files from an inbox folder, clean, dedupe and load them.

Thin wiring only: every step is a function of the `pipeline` package, which the CLI runs too.
The database is the Airflow Connection `news_db` when one is defined (PostgresHook), otherwise
$NEWSDEDUP_DATABASE_URL, otherwise the project's embedded PostgreSQL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from pipeline.config import SAMPLE_CORPUS

NEWS_DB_CONN_ID = "news_db"


def news_db_connection() -> Any:
    """A psycopg2 connection with the schema migrated, from `news_db` if Airflow has it.

    The Connection's fields become a libpq DSN rather than going through PostgresHook.get_conn():
    the provider hands out psycopg 3 connections when psycopg 3 is installed, and the pipeline
    is written against psycopg2.
    """
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException
    from psycopg2.extensions import make_dsn

    from pipeline import database, store

    try:
        airflow_conn = Connection.get(NEWS_DB_CONN_ID)
    except AirflowNotFoundException:
        dsn = database.resolve_database_url()
    else:
        libpq_options = {
            k: v for k, v in airflow_conn.extra_dejson.items() if k in database.LIBPQ_OPTIONS
        }
        dsn = make_dsn(
            host=airflow_conn.host or None,
            port=airflow_conn.port or None,
            user=airflow_conn.login or None,
            password=airflow_conn.password or None,
            dbname=airflow_conn.schema or None,
            **libpq_options,
        )
    conn = database.connect(dsn)
    store.apply_migrations(conn)
    return conn


@dag(
    schedule=timedelta(minutes=15),
    start_date=None,
    catchup=False,
    max_active_runs=1,
    tags=["newsdedup"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    params={
        "inbox": Param(
            os.environ.get("NEWSDEDUP_INBOX", str(SAMPLE_CORPUS)),
            type="string",
            description="Folder (or file) to ingest from; default $NEWSDEDUP_INBOX, else samples",
        ),
        "shard_size": Param(
            50, type="integer", minimum=1, maximum=5000, description="Files per mapped task"
        ),
    },
    doc_md=__doc__,
)
def news_ingest() -> None:
    @task
    def start_run() -> int:
        from pipeline import store

        context = get_current_context()
        dag_run = context["dag_run"]
        return store.start_run(news_db_connection(), f"airflow:{dag_run.dag_id}/{dag_run.run_id}")

    @task
    def discover_new_files() -> list[list[str]]:
        from pipeline.ingest import new_files
        from pipeline.sources import discover_files

        params = get_current_context()["params"]
        files = new_files(news_db_connection(), discover_files([params["inbox"]]))
        size = int(params["shard_size"])
        return [[str(p) for p in files[i : i + size]] for i in range(0, len(files), size)]

    @task(map_index_template="{{ shard_label }}")
    def load_shard(ingest_run_id: int, files: list[str]) -> dict[str, int]:
        from pipeline.config import Settings
        from pipeline.ingest import ingest_files

        context = get_current_context()
        context["shard_label"] = f"{Path(files[0]).name} (+{len(files) - 1})"  # type: ignore[typeddict-unknown-key]
        counts = ingest_files(
            news_db_connection(), ingest_run_id, [Path(f) for f in files], Settings.from_env()
        )
        return counts.as_dict()

    @task(trigger_rule="all_done")
    def finish_run(ingest_run_id: int, shards: list[list[str]]) -> dict[str, int]:
        """Close the run; fail it when some files were not looked at (a shard failed)."""
        from pipeline import store

        conn = news_db_connection()
        expected = sum(len(files) for files in shards or [])
        counts = store.run_counts(conn, ingest_run_id)
        error = None
        if counts.inputs_read < expected:
            error = f"{expected - counts.inputs_read} of {expected} inputs were not processed"
        totals = store.finish_run(conn, ingest_run_id, error=error).as_dict()
        print(f"ingest run {ingest_run_id}: {totals}")
        if error:
            raise RuntimeError(f"ingest run {ingest_run_id}: {error}")
        return totals

    ingest_run_id = start_run()
    shards = discover_new_files()
    ingest_run_id >> shards
    loaded = load_shard.partial(ingest_run_id=ingest_run_id).expand(files=shards)
    loaded >> finish_run(ingest_run_id, shards)  # type: ignore[arg-type]


news_ingest()
