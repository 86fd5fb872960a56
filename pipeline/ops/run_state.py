"""Ingest runs next to the Airflow runs that started them, and runs whose process died.

An ingest run started by a DAG is triggered_by "airflow:<dag_id>/<run_id>" (dags/). When that
Airflow run has finished (success or failed) but the ingest run is still 'running', nothing will
ever close it: the task that would have (finish_run) died with its process, or never ran. Such a
run is marked failed with the reason (store.abandon_run). Airflow is not imported here: the ops
plugin, which runs inside Airflow, looks the states up and passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline import store
from pipeline.store import Connection, query_rows

AIRFLOW_PREFIX = "airflow:"
FINISHED = ("success", "failed")
AirflowRun = tuple[str, str]  # (dag_id, run_id)


def airflow_run_of(triggered_by: str | None) -> AirflowRun | None:
    """The (dag_id, run_id) of an ingest run's triggered_by, or None (the command line)."""
    if not triggered_by or not triggered_by.startswith(AIRFLOW_PREFIX):
        return None
    dag_id, slash, run_id = triggered_by[len(AIRFLOW_PREFIX) :].partition("/")
    return (dag_id, run_id) if dag_id and slash and run_id else None


def running_airflow_runs(conn: Connection) -> dict[int, AirflowRun]:
    """The ingest runs still 'running' that a DAG run started: {ingest run id: its DAG run}."""
    rows = query_rows(
        conn,
        """SELECT id, triggered_by FROM ingest_runs
           WHERE status = 'running' AND triggered_by LIKE %s ORDER BY id""",
        (AIRFLOW_PREFIX + "%",),
    )
    found = {int(row["id"]): airflow_run_of(row["triggered_by"]) for row in rows}
    return {run_id: dag_run for run_id, dag_run in found.items() if dag_run is not None}


def abandon_finished(
    conn: Connection, running: Mapping[int, AirflowRun], states: Mapping[AirflowRun, str]
) -> dict[int, str]:
    """Mark failed the ingest runs of `running` whose Airflow run has finished (`states`: the
    Airflow state of each DAG run found). Returns {ingest run id: the reason recorded}."""
    abandoned: dict[int, str] = {}
    for run_id, (dag_id, airflow_run_id) in running.items():
        state = states.get((dag_id, airflow_run_id))
        if state not in FINISHED:
            continue
        reason = (
            f"abandoned: Airflow run {dag_id}/{airflow_run_id} ended ({state}) while this run "
            "was still running: the process that would have closed it died"
        )
        if store.abandon_run(conn, run_id, reason):
            abandoned[run_id] = reason
    return abandoned


def with_airflow_state(
    runs: list[dict[str, Any]], states: Mapping[AirflowRun, str]
) -> list[dict[str, Any]]:
    """The runs (monitoring.recent_runs) with `airflow_state`: the state of the DAG run that
    started each, None for a command-line run or a DAG run Airflow no longer has."""
    result = []
    for run in runs:
        dag_run = airflow_run_of(run.get("triggered_by"))
        result.append({**run, "airflow_state": states.get(dag_run) if dag_run else None})
    return result
