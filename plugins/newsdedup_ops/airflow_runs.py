"""The Airflow side of the runs table: the state of the DAG run that started each ingest run,
read from Airflow's metadata database (the api-server's own session), and the ingest runs whose
DAG run ended without closing them, marked failed (pipeline/ops/run_state.py decides; this module
only looks up). Reading the states is best effort: when the metadata database cannot be read the
page still shows the news database's numbers, without Airflow's states.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pipeline.ops import run_state
from pipeline.ops.run_state import AirflowRun
from pipeline.store import Connection

log = logging.getLogger(__name__)


def dag_run_states(keys: Iterable[AirflowRun]) -> dict[AirflowRun, str]:
    """{(dag_id, run_id): state} of the DAG runs Airflow has, of those asked for."""
    wanted = set(keys)
    if not wanted:
        return {}
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    run_ids = sorted({run_id for _, run_id in wanted})
    try:
        with create_session() as session:
            rows = session.execute(
                select(DagRun.dag_id, DagRun.run_id, DagRun.state).where(DagRun.run_id.in_(run_ids))
            ).all()
    except Exception:  # the metadata database is down or refuses us: no states, not no page
        log.exception("could not read the DAG runs' states from Airflow's metadata database")
        return {}
    found = {(str(dag_id), str(run_id)): str(state) for dag_id, run_id, state in rows}
    return {key: state for key, state in found.items() if key in wanted}


def close_abandoned(conn: Connection) -> dict[int, str]:
    """Mark failed the ingest runs still 'running' whose DAG run has finished."""
    running = run_state.running_airflow_runs(conn)
    abandoned = run_state.abandon_finished(conn, running, dag_run_states(running.values()))
    for run_id, reason in abandoned.items():
        log.warning("ingest run %s marked failed: %s", run_id, reason)
    return abandoned


def with_states(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs with `airflow_state` (None for command-line runs)."""
    keys = [run_state.airflow_run_of(run.get("triggered_by")) for run in runs]
    states = dag_run_states(key for key in keys if key is not None)
    return run_state.with_airflow_state(runs, states)
