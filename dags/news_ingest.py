"""news_ingest: pick up what is new from the configured sources, clean, dedupe and load it.

Sources are sources.toml (or the file $NEWSDEDUP_SOURCES names): RSS/Atom feeds, news sitemaps,
WARC archives, inbox folders; plus the `inbox` folder param. Each run discovers what is new or
due for a retry per source, loads it in mapped shards, and updates the `newsdedup_articles`
Asset for downstream DAGs. Params: `source` (one name, or all), `since`/`until` (a date range:
feed/sitemap items by publication date, archive records by capture date, i.e. a backfill),
`limit` (items per source).

After the load, data-quality checks fail the run loudly when something is off: articles without
a body, a duplicate rate outside the expected band, too many rejected inputs (thresholds are the
`dq_*` params; defaults from $NEWSDEDUP_DQ_* variables). Every failed task and run is reported by
`pipeline.ops.alerts` (a "NEWSDEDUP ALERT" log line, plus $NEWSDEDUP_ALERT_WEBHOOK when set), and a
Deadline alert fires when a run has not finished $NEWSDEDUP_DEADLINE_MINUTES (default 60) after
it was queued. The README's Operations section explains each alert.

Thin wiring only: every step is a function of the `pipeline` package, which the CLI runs too.
The database is the Airflow Connection `news_db` when one is defined (PostgresHook), otherwise
$NEWSDEDUP_DATABASE_URL, otherwise the project's embedded PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import sys
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, Param, dag, get_current_context, task
from airflow.sdk.definitions.callback import AsyncCallback
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

from pipeline import config
from pipeline.ops import alerts

NEWS_DB_CONN_ID = "news_db"
# Updated after every run that loaded something; downstream DAGs can schedule on it.
ARTICLES = Asset("newsdedup_articles")
# A run that has not finished this long after it was queued raises the Deadline alert.
DEADLINE = timedelta(minutes=config.deadline_minutes())
QUALITY = config.QualitySettings.from_env()  # the check params' defaults
# `airflow dags test` (make run, tests/dags/test_dag.py) of Airflow 3.3.2 crashes at the end of a
# successful run of a DAG that has a deadline (dagrun.update_state looks the alerts up by id, but
# dags test hands it the unserialised DeadlineAlert objects). No scheduler, no deadline there.
_IN_DAGS_TEST = sys.argv[1:3] == ["dags", "test"]


def _deadline() -> DeadlineAlert | None:
    if _IN_DAGS_TEST:
        return None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=DEADLINE,
        callback=AsyncCallback(
            alerts.deadline_missed, kwargs={"minutes": DEADLINE.total_seconds() / 60}
        ),
        name="news_ingest_late",
    )


def _quality_params() -> dict[str, Param]:
    """The check_* tasks' thresholds as params dq_<name>, described in QualitySettings."""
    params = {}
    for field in dataclasses.fields(QUALITY):
        default = getattr(QUALITY, field.name)
        limits = {k: v for k, v in field.metadata["limits"].items() if v is not None}
        params[f"dq_{field.name}"] = Param(
            default,
            type="integer" if isinstance(default, int) else "number",
            description=field.metadata["description"],
            **limits,
        )
    return params


def news_db_connection() -> Any:
    """A psycopg2 connection with the schema migrated, from `news_db` if Airflow has it."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from pipeline import store
    from pipeline.store import database

    try:
        dsn = database.dsn_from_connection(Connection.get(NEWS_DB_CONN_ID))
    except AirflowNotFoundException:
        dsn = database.resolve_database_url()
    conn = database.connect(dsn)
    store.apply_migrations(conn)
    return conn


@dag(
    schedule=timedelta(minutes=15),
    start_date=None,
    catchup=False,
    max_active_runs=1,  # two runs at once would fetch the same due items twice
    tags=["newsdedup"],
    default_args={
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "on_failure_callback": alerts.task_failed,
    },
    on_failure_callback=alerts.run_failed,
    deadline=_deadline(),
    params={
        "source": Param(
            "all",
            type="string",
            description="A source name from the sources file, 'inbox', or 'all' (every enabled)",
        ),
        "inbox": Param(
            config.inbox(),
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
        **_quality_params(),
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
        from pipeline.ingest.plan import parse_when, plan, sources_for

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
        from pipeline.ingest.plan import parse_when, run_shard, sources_for

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

    def _verdict(result: Any) -> dict[str, Any]:
        """A failed check fails its task at once: retrying cannot change what was loaded."""
        from airflow.sdk.exceptions import AirflowFailException

        print(result.message)
        if not result.ok:
            raise AirflowFailException(f"data-quality check {result.name} failed: {result.message}")
        return {"check": result.name, "message": result.message, **result.observed}

    @task(retries=0)
    def check_bodies(ingest_run_id: int) -> dict[str, Any]:
        from pipeline.ops import monitoring

        params = get_current_context()["params"]
        return _verdict(
            monitoring.check_bodies(
                news_db_connection(), ingest_run_id, int(params["dq_min_body_chars"])
            )
        )

    @task(retries=0)
    def check_duplicate_rate(ingest_run_id: int) -> dict[str, Any]:
        from pipeline.ops import monitoring

        params = get_current_context()["params"]
        return _verdict(
            monitoring.check_duplicate_rate(
                news_db_connection(),
                ingest_run_id,
                low=float(params["dq_duplicate_rate_min"]),
                high=float(params["dq_duplicate_rate_max"]),
                min_articles=int(params["dq_min_articles"]),
            )
        )

    @task(retries=0)
    def check_rejects(ingest_run_id: int) -> dict[str, Any]:
        from pipeline.ops import monitoring

        params = get_current_context()["params"]
        return _verdict(
            monitoring.check_rejects(
                news_db_connection(),
                ingest_run_id,
                max_rejected=int(params["dq_max_rejected"]),
                max_reject_rate=float(params["dq_max_reject_rate"]),
            )
        )

    ingest_run_id = start_run()
    shards = discover()
    ingest_run_id >> shards
    loaded = load_shard.partial(ingest_run_id=ingest_run_id).expand(shard=shards)
    finished = finish_run(ingest_run_id, shards)  # type: ignore[arg-type]
    loaded >> finished
    # The checks run once the run's counts are final; they do not run when finish_run failed
    # (the run has failed already, with its own message).
    finished >> [
        check_bodies(ingest_run_id),  # type: ignore[arg-type]
        check_duplicate_rate(ingest_run_id),  # type: ignore[arg-type]
        check_rejects(ingest_run_id),  # type: ignore[arg-type]
    ]


news_ingest()
