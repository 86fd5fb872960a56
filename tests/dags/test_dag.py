"""The ingest DAGs under real Airflow without servers: what the DAG files define (DagBag, `airflow
dags list`) and news_ingest run by `airflow dags test` against a real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from pipeline import config
from tests.conftest import query
from tests.support.airflow_stack import AIRFLOW, migrated_airflow_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    yield migrated_airflow_env(tmp_path_factory.mktemp("airflow"))


def _dags_test(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [AIRFLOW, "dags", "test", "news_ingest"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


EXAMPLE_DAGS = {  # sources.toml: every example source disabled, so its DAG starts paused
    "news_ingest": ("0:15:00", "False"),
    "news_source_example-rss": ("*/15 * * * *", "True"),
    "news_source_example-sitemap": ("0 * * * *", "True"),
    "news_source_cc-news": ("0 0 * * *", "True"),
    "news_backfill": ("None", "False"),
}
CHECKS = {"check_bodies", "check_duplicate_rate", "check_rejects"}


def _airflow(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_airflow_lists_a_dag_per_example_source_and_the_backfill_with_their_schedules(
    airflow_env: dict[str, str],
) -> None:
    env = {k: v for k, v in airflow_env.items() if k != "NEWSDEDUP_SOURCES"}
    _airflow(env, "dags", "reserialize")
    out = _airflow(env, "dags", "list", "-o", "json", "--columns",
                   "dag_id,timetable_summary,is_paused")  # fmt: skip
    # Airflow's own warnings share stdout: the table is the line that is a JSON list.
    listed = json.loads(next(line for line in out.splitlines() if line.startswith("[")))
    assert {d["dag_id"]: (str(d["timetable_summary"]), str(d["is_paused"])) for d in listed} == (
        EXAMPLE_DAGS
    )
    assert "No data found" in _airflow(env, "dags", "list-import-errors")


def _structure(env: dict[str, str]) -> dict[str, Any]:
    """Each DAG's tasks with their upstream ids, pools and outlets, read by a DagBag."""
    code = (
        "import json\n"
        "from airflow.dag_processing.dagbag import BundleDagBag\n"
        "from airflow.settings import DAGS_FOLDER\n"
        "bag = BundleDagBag(DAGS_FOLDER, bundle_path=DAGS_FOLDER, bundle_name='dags-folder')\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "print(json.dumps({d.dag_id: {t.task_id: {'upstream': sorted(t.upstream_task_ids),\n"
        "  'pool': t.pool, 'outlets': [o.name for o in t.outlets]} for t in d.tasks}\n"
        "  for d in bag.dags.values()}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    structure: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return structure


def test_every_dag_publishes_its_asset_only_downstream_of_every_check(
    airflow_env: dict[str, str], tmp_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://a.example/feed"\n\n'
        '[[sources]]\nname = "b"\nkind = "sitemap"\nurl = "https://b.example/map.xml"\n\n'
        '[[sources]]\nname = "c"\nkind = "warc"\npath = "warcs"\n'
    )
    structure = _structure({**airflow_env, "NEWSDEDUP_SOURCES": str(sources)})
    assert set(structure) == {
        "news_ingest", "news_source_a", "news_source_b", "news_source_c", "news_backfill"
    }  # fmt: skip
    for dag_id, tasks in structure.items():
        emitters = [task for task, t in tasks.items() if t["outlets"]]
        assert emitters == ["publish"], dag_id
        assert set(tasks["publish"]["upstream"]) == {*CHECKS, "finish_run", "start_run"}, dag_id
        for check in CHECKS:
            assert tasks[check]["upstream"] == ["finish_run", "start_run"], dag_id
    # One host, one fetch pool, in every DAG that fetches from it; files need none.
    assert structure["news_source_a"]["load_shard"]["pool"] == "news_fetch_a.example"
    assert structure["news_source_a"]["discover"]["pool"] == "news_fetch_a.example"
    assert structure["news_source_c"]["load_shard"]["pool"] == "default_pool"
    backfill = structure["news_backfill"]
    assert backfill["load_b"]["pool"] == backfill["discover_b"]["pool"] == "news_fetch_b.example"
    assert backfill["discover_a"]["upstream"] == ["choose_source"]
    assert set(backfill["finish_run"]["upstream"]) == {"load_a", "load_b", "load_c", "start_run"}


def test_dag_loads_the_samples_and_a_second_run_adds_nothing(
    airflow_env: dict[str, str], database_url: str, db: object
) -> None:
    env = {**airflow_env, config.DATABASE_URL_ENV: database_url}
    _dags_test(env)
    assert query(db, "SELECT count(*) FROM articles") == [(5,)]  # type: ignore[arg-type]
    assert query(db, "SELECT count(*) FROM canonical_articles") == [(4,)]  # type: ignore[arg-type]
    assert query(db, "SELECT status, loaded FROM ingest_runs") == [("succeeded", 5)]  # type: ignore[arg-type]
    _dags_test(env)
    assert query(db, "SELECT count(*) FROM articles") == [(5,)]  # type: ignore[arg-type]
    assert query(db, "SELECT status, loaded, inputs_read FROM ingest_runs ORDER BY id")[1] == (  # type: ignore[arg-type]
        "succeeded",
        0,
        0,
    )


def test_dag_prefers_the_news_db_connection(
    airflow_env: dict[str, str], database_url: str, db: object, pg_server: str
) -> None:
    parsed = urlparse(database_url)
    connection = {
        "conn_type": "postgres",
        "host": parse_qs(parsed.query)["host"][0],
        "login": "postgres",
        "schema": parsed.path.lstrip("/"),
    }
    env = {
        **airflow_env,
        "AIRFLOW_CONN_NEWS_DB": json.dumps(connection),
        # A URL that must not be used while the Connection exists.
        config.DATABASE_URL_ENV: "postgresql://nobody@127.0.0.1:1/nothing",
    }
    _dags_test(env)
    assert query(db, "SELECT count(*) FROM articles") == [(5,)]  # type: ignore[arg-type]
