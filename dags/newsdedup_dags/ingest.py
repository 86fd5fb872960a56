"""One builder for every ingest DAG: the inbox DAG, one DAG per configured source, the backfill.

Each run: start_run -> discover -> load (mapped shards, one mapped task per lane) -> finish_run ->
the data-quality checks -> publish. `publish` carries the Asset outlet: downstream DAGs hear of a
run only once every check has passed, and only when it loaded or revised something (the event's
extra carries the run's counts). A lane is the discover and mapped load tasks of some sources,
queued in their host's fetch pool: Airflow then lets one task at a time fetch from a host, across
every lane, DAG and run (`Source.fetch_pool`; `newsdedup sources pools` writes the pools for
`airflow pools import`).

Only wiring: every step is a function of the `pipeline` package, which the CLI runs too.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import (  # type: ignore[attr-defined]  # not yet in its stub: apache/airflow#66269
    DAG,
    Asset,
    AsyncCallback,
    DeadlineAlert,
    DeadlineReference,
    Param,
    dag,
    get_current_context,
    task,
)

from newsdedup_dags.alerting import NewsdedupNotifier
from pipeline import config
from pipeline.ops.monitoring import CHECKS as CHECK_NAMES
from pipeline.sources.config import Source

NEWS_DB_CONN_ID = "news_db"
# Updated after every run whose checks passed and that loaded something; downstream DAGs can
# schedule on it.
ARTICLES = Asset("newsdedup_articles")
# A run that has not finished this long after it was queued raises the Deadline alert.
DEADLINE = timedelta(minutes=config.deadline_minutes())
QUALITY = config.QualitySettings.from_env()  # the check params' defaults
# `airflow dags test` (make run, tests/dags/test_dag.py) of Airflow 3.3.2 crashes at the end of a
# successful run of a DAG that has a deadline: https://github.com/apache/airflow/issues/73428
# (fix proposed in apache/airflow#73430). No scheduler there, so no deadline either.
_IN_DAGS_TEST = sys.argv[1:3] == ["dags", "test"]

# What a run covers, and the date window of a backfill, from the run's params.
Choose = Callable[[Mapping[str, Any]], list[Source]]
Window = Callable[[Mapping[str, Any]], tuple[datetime | None, datetime | None]]


def no_window(params: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    return None, None


@dataclass(frozen=True)
class Lane:
    """The discover task and mapped load task of some sources, both in their fetch pool."""

    discover_id: str
    load_id: str
    sources: frozenset[str] | None  # None: every source the run covers
    pool: str | None  # None: Airflow's default pool

    def takes(self, source: Source) -> bool:
        return self.sources is None or source.name in self.sources


ONE_LANE = Lane("discover", "load_shard", None, None)


def lanes_of(sources: list[Source]) -> list[Lane]:
    """One lane per source (discover_<name>, load_<name>, in the source's fetch pool), for a
    DAG whose `source` param picks one of several: a branch runs the lanes of that source."""
    return [
        Lane(f"discover_{s.name}", f"load_{s.name}", frozenset([s.name]), s.fetch_pool)
        for s in sources
    ]


def quality_params() -> dict[str, Param]:
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


def run_params(shard_size: int) -> dict[str, Param]:
    """The params every ingest DAG has: how much to take, how to cut it, the check thresholds."""
    return {
        "limit": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="At most this many items per source (default: the source's max_items)",
        ),
        "shard_size": Param(
            shard_size, type="integer", minimum=1, maximum=5000, description="Items per mapped task"
        ),
        **quality_params(),
    }


def _deadline(name: str) -> DeadlineAlert | None:
    if _IN_DAGS_TEST:
        return None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=DEADLINE,
        callback=AsyncCallback(
            NewsdedupNotifier,
            kwargs={"kind": "deadline_missed", "minutes": DEADLINE.total_seconds() / 60},
        ),
        name=f"{name}_late",
    )


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


def _verdict(result: Any) -> dict[str, Any]:
    """A failed check fails its task at once: retrying cannot change what was loaded."""
    from airflow.sdk.exceptions import AirflowFailException

    print(result.message)
    if not result.ok:
        raise AirflowFailException(f"data-quality check {result.name} failed: {result.message}")
    return {"check": result.name, "message": result.message, **result.observed}


def build_ingest_dag(
    dag_id: str,
    *,
    schedule: Any,
    doc_md: str,
    params: dict[str, Param],
    choose: Choose,
    lanes: list[Lane],
    window: Window = no_window,
    paused: bool = False,
    max_active_runs: int = 1,
    tags: tuple[str, ...] = (),
) -> DAG:
    @dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=None,
        catchup=False,
        max_active_runs=max_active_runs,
        is_paused_upon_creation=paused,
        tags=["newsdedup", *tags],
        default_args={
            "retries": 2,
            "retry_delay": timedelta(seconds=30),
            "on_failure_callback": NewsdedupNotifier("task_failed"),
        },
        on_failure_callback=NewsdedupNotifier("run_failed"),
        deadline=_deadline(dag_id),
        params=params,
        doc_md=doc_md,
    )
    def ingest() -> None:
        @task
        def start_run() -> int:
            from pipeline import store

            dag_run = get_current_context()["dag_run"]
            triggered_by = f"airflow:{dag_run.dag_id}/{dag_run.run_id}"
            return store.start_run(news_db_connection(), triggered_by)

        @task.branch
        def choose_source() -> list[str]:
            """The lanes of the sources this run covers (the others are skipped)."""
            chosen = choose(get_current_context()["params"])
            return [lane.discover_id for lane in lanes if any(map(lane.takes, chosen))]

        @task
        def discover(lane_sources: list[str] | None) -> list[dict[str, Any]]:
            """Shards of due work of the lane's sources (None: all the run covers)."""
            from pipeline.config import Settings
            from pipeline.ingest.plan import plan

            params = get_current_context()["params"]
            since, until = window(params)
            shards = plan(
                news_db_connection(),
                [s for s in choose(params) if lane_sources is None or s.name in lane_sources],
                Settings.from_env(),
                since=since,
                until=until,
                limit=params["limit"],
                shard_size=int(params["shard_size"]),
            )
            return [dict(shard) for shard in shards]

        @task(map_index_template="{{ shard_label }}")
        def load_shard(ingest_run_id: int, shard: dict[str, Any]) -> dict[str, int]:
            from pipeline.config import Settings
            from pipeline.ingest.plan import run_shard

            context = get_current_context()
            context["shard_label"] = shard["label"]  # type: ignore[typeddict-unknown-key]
            params = context["params"]
            since, until = window(params)
            counts = run_shard(
                news_db_connection(), ingest_run_id, shard, choose(params), Settings.from_env(),
                since=since, until=until,
            )  # fmt: skip
            return counts.as_dict()

        @task(trigger_rule="all_done")
        def finish_run(ingest_run_id: int) -> dict[str, int]:
            """Close the run; fail it when some inputs were not looked at (a shard failed)."""
            from pipeline import store

            conn = news_db_connection()
            # The lanes a branch skipped, or whose discovery failed, planned nothing.
            planned = get_current_context()["ti"].xcom_pull(
                task_ids=[lane.discover_id for lane in lanes]
            )
            shards = [shard for lane in planned or [] if lane for shard in lane]
            expected = sum(int(shard["expected"]) for shard in shards)
            counts = store.run_counts(conn, ingest_run_id)
            error = None
            if counts.inputs_read < expected:
                error = f"{expected - counts.inputs_read} of {expected} inputs were not processed"
            totals = store.finish_run(conn, ingest_run_id, error=error).as_dict()
            print(f"ingest run {ingest_run_id}: {totals}")
            if error:
                raise RuntimeError(f"ingest run {ingest_run_id}: {error}")
            return totals

        @task(retries=0)
        def check(ingest_run_id: int, name: str) -> dict[str, Any]:
            """A data-quality check of the run, with the thresholds of its dq_* params."""
            from pipeline.ops import monitoring

            params = get_current_context()["params"]
            quality = config.QualitySettings(
                **{f.name: params[f"dq_{f.name}"] for f in dataclasses.fields(QUALITY)}
            )
            return _verdict(
                monitoring.run_check(news_db_connection(), name, ingest_run_id, quality)
            )

        @task(outlets=[ARTICLES])
        def publish(ingest_run_id: int, totals: dict[str, int]) -> dict[str, Any]:
            """The Asset event, once every check passed; none when nothing changed."""
            from airflow.sdk.exceptions import AirflowSkipException

            if totals["loaded"] + totals["revised"] == 0:
                raise AirflowSkipException(f"ingest run {ingest_run_id} loaded nothing: no event")
            context = get_current_context()
            extra: dict[str, Any] = {
                "ingest_run_id": ingest_run_id,
                "dag_id": context["dag"].dag_id,
                **totals,
            }
            context["outlet_events"][ARTICLES].extra = extra
            return extra

        ingest_run_id = start_run()
        totals = finish_run(ingest_run_id)  # type: ignore[arg-type]
        branch = choose_source() if len(lanes) > 1 else None
        for lane in lanes:
            pool = lane.pool or "default_pool"
            only = sorted(lane.sources) if lane.sources is not None else None
            discovered = discover.override(task_id=lane.discover_id, pool=pool)(only)
            (branch or ingest_run_id) >> discovered
            loaded = (
                load_shard.override(task_id=lane.load_id, pool=pool)
                .partial(ingest_run_id=ingest_run_id)
                .expand(shard=discovered)
            )
            loaded >> totals
        if branch is not None:
            ingest_run_id >> branch
        # The checks run once the run's counts are final; they do not run when finish_run failed
        # (the run has failed already, with its own message).
        checks = [
            check.override(task_id=f"check_{name}")(ingest_run_id, name)  # type: ignore[arg-type]
            for name in CHECK_NAMES
        ]
        totals >> checks
        checks >> publish(ingest_run_id, totals)  # type: ignore[arg-type]

    built: DAG = ingest()
    return built
