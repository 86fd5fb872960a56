"""news_ingest: pick up what is new from the configured sources, clean, dedupe and load it.

Sources are sources.toml (or the file $NEWSDEDUP_SOURCES names): RSS/Atom feeds, news sitemaps,
WARC archives, inbox folders; plus the `inbox` folder param. Each run discovers what is new or
due for a retry per source, loads it in mapped shards, and updates the `newsdedup_articles`
Asset for downstream DAGs. Params: `source` (one name, or all), `since`/`until` (a date range:
feed/sitemap items by publication date, archive records by capture date, i.e. a backfill),
`limit` (items per source).

Thin wiring only: every step is a function of the `pipeline` package, which the CLI runs too.
The database is the Airflow Connection `news_db` when one is defined (PostgresHook), otherwise
$NEWSDEDUP_DATABASE_URL, otherwise the project's embedded PostgreSQL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, Param, dag, get_current_context, task

from pipeline.config import SAMPLE_CORPUS

NEWS_DB_CONN_ID = "news_db"
# Updated after every run that loaded something; downstream DAGs can schedule on it.
ARTICLES = Asset("newsdedup_articles")


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
    max_active_runs=1,  # two runs at once would fetch the same due items twice
    tags=["newsdedup"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    params={
        "source": Param(
            "all",
            type="string",
            description="A source name from the sources file, 'inbox', or 'all' (every enabled)",
        ),
        "inbox": Param(
            os.environ.get("NEWSDEDUP_INBOX", str(SAMPLE_CORPUS)),
            type=["null", "string"],
            description="Folder (or file) to ingest from as well; default $NEWSDEDUP_INBOX, "
            "else samples; empty for none",
        ),
        "since": Param(
            None,
            type=["null", "string"],
            description="ISO date: only items published (archives: captured) from then",
        ),
        "until": Param(
            None, type=["null", "string"], description="ISO date: only items before then"
        ),
        "limit": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="At most this many items per source (default: the source's max_items)",
        ),
        "shard_size": Param(
            50, type="integer", minimum=1, maximum=5000, description="Items per mapped task"
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
    def discover() -> list[dict[str, Any]]:
        from pipeline.config import Settings
        from pipeline.plan import parse_when, plan, sources_for

        params = get_current_context()["params"]
        shards = plan(
            news_db_connection(),
            sources_for(params["source"], params["inbox"]),
            Settings.from_env(),
            since=parse_when(params["since"]),
            until=parse_when(params["until"]),
            limit=params["limit"],
            shard_size=int(params["shard_size"]),
        )
        return [dict(shard) for shard in shards]

    @task(map_index_template="{{ shard_label }}")
    def load_shard(ingest_run_id: int, shard: dict[str, Any]) -> dict[str, int]:
        from pipeline.config import Settings
        from pipeline.plan import parse_when, run_shard, sources_for

        context = get_current_context()
        context["shard_label"] = shard["label"]  # type: ignore[typeddict-unknown-key]
        params = context["params"]
        counts = run_shard(
            news_db_connection(),
            ingest_run_id,
            shard,
            sources_for(params["source"], params["inbox"]),
            Settings.from_env(),
            since=parse_when(params["since"]),
            until=parse_when(params["until"]),
        )
        return counts.as_dict()

    @task(trigger_rule="all_done", outlets=[ARTICLES])
    def finish_run(ingest_run_id: int, shards: list[dict[str, Any]]) -> dict[str, int]:
        """Close the run; fail it when some inputs were not looked at (a shard failed)."""
        from pipeline import store

        conn = news_db_connection()
        expected = sum(int(shard["expected"]) for shard in shards or [])
        counts = store.run_counts(conn, ingest_run_id)
        error = None
        if counts.inputs_read < expected:
            error = f"{expected - counts.inputs_read} of {expected} inputs were not processed"
        totals = store.finish_run(conn, ingest_run_id, error=error).as_dict()
        print(f"ingest run {ingest_run_id}: {totals}")
        get_current_context()["outlet_events"][ARTICLES].extra = {
            "ingest_run_id": ingest_run_id,
            **totals,
        }
        if error:
            raise RuntimeError(f"ingest run {ingest_run_id}: {error}")
        return totals

    ingest_run_id = start_run()
    shards = discover()
    ingest_run_id >> shards
    loaded = load_shard.partial(ingest_run_id=ingest_run_id).expand(shard=shards)
    loaded >> finish_run(ingest_run_id, shards)  # type: ignore[arg-type]


news_ingest()
