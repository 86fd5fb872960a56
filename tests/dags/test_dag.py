"""The news_ingest DAG under real Airflow (`airflow dags test`), against a real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
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


def test_dag_imports_without_errors(airflow_env: dict[str, str]) -> None:
    code = (
        "from airflow.dag_processing.dagbag import DagBag\n"
        "bag = DagBag()\n"
        "print(len(bag.import_errors), sorted(bag.dag_ids))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=airflow_env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "0 ['news_ingest']"


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
