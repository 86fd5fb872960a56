"""news_ingest on Airflow's CeleryExecutor: a local Redis and two workers, each with its own
AIRFLOW_HOME, working and data directory, so that the run can only succeed if no task relies on
another task's local files or memory (only PostgreSQL, Redis and the read-only repo are shared)."""

from __future__ import annotations

import psycopg2
import pytest

from tests.support.airflow_stack import SAMPLES, Stack, shared

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest) -> Stack:
    return shared(request.config, "celery")


def test_the_dag_runs_on_two_celery_workers(stack: Stack) -> None:
    # One item per mapped shard: five load_shard tasks for two single-slot workers.
    result = stack.trigger({"inbox": str(SAMPLES), "shard_size": 1})
    assert result["run"]["state"] == "success", stack.logs()
    tis = result["task_instances"]
    assert all(ti["state"] == "success" for ti in tis), [(t["task_id"], t["state"]) for t in tis]
    assert sum(ti["task_id"] == "load_shard" for ti in tis) == 5
    with psycopg2.connect(stack.news_db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE canonical_id = id) FROM articles")
        assert cur.fetchone() == (5, 4)
        cur.execute("SELECT status, inputs_read, loaded, merged FROM ingest_runs")
        assert cur.fetchall() == [("succeeded", 5, 5, 1)]
    conn.close()
    # Both workers took tasks (each worker logs the tasks it received).
    for worker in ("worker1", "worker2"):
        log = (stack.root / f"{worker}.log").read_text(errors="replace")
        assert "news_ingest" in log, f"{worker} ran no task:\n{log[-3000:]}"
