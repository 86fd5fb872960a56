"""A source's own DAG (news_source_<name>) under real Airflow, against a local feed server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import DATABASE_URL_ENV
from tests.conftest import query
from tests.support.airflow_stack import AIRFLOW, migrated_airflow_env
from tests.support.http_server import LocalSite, article_html, rss, static

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    yield migrated_airflow_env(tmp_path_factory.mktemp("airflow"), NEWSDEDUP_FETCH_MIN_INTERVAL="0")


def _dags_test(env: dict[str, str], conf: dict[str, str | None]) -> str:
    result = subprocess.run(
        [AIRFLOW, "dags", "test", "news_source_local", "--conf", json.dumps(conf)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout + result.stderr


def test_two_dag_runs_fetch_each_article_once_and_pick_up_new_entries(
    airflow_home: dict[str, str], database_url: str, db: store.Connection,
    site: LocalSite, tmp_path: Path,
) -> None:  # fmt: skip
    for i in range(4):
        site.routes[f"/a{i}"] = static(article_html(300 + i), "text/html")
    site.routes["/feed.xml"] = static(
        rss(site.base, [(f"g{i}", f"/a{i}") for i in range(3)]), "application/rss+xml", '"v1"'
    )
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[[sources]]\nname = "local"\nkind = "feed"\nurl = "{site.url("/feed.xml")}"\n'
        'outlet = "Local"\nshard_size = 2\nallow_private_addresses = true\n'
    )
    env = {**airflow_home, DATABASE_URL_ENV: database_url,
           "NEWSDEDUP_SOURCES": str(config)}  # fmt: skip
    conf: dict[str, str | None] = {}

    out = _dags_test(env, conf)
    assert "local: a0 (+1)" in out or "local: a" in out  # readable map index names
    assert query(db, "SELECT count(*) FROM articles") == [(3,)]
    _dags_test(env, conf)
    assert site.hits("/feed.xml")[1].headers.get("if-none-match") == '"v1"'
    feed = site.url("/feed.xml")
    assert query(db, "SELECT last_status FROM http_validators WHERE url = %s", (feed,)) == [(304,)]
    assert [len(site.hits(f"/a{i}")) for i in range(3)] == [1, 1, 1]

    site.routes["/feed.xml"] = static(
        rss(site.base, [(f"g{i}", f"/a{i}") for i in range(4)]), "application/rss+xml", '"v2"'
    )
    _dags_test(env, conf)
    assert query(db, "SELECT count(*) FROM articles") == [(4,)]
    assert [len(site.hits(f"/a{i}")) for i in range(4)] == [1, 1, 1, 1]
    runs = query(db, "SELECT status, loaded FROM ingest_runs ORDER BY id")
    assert runs == [("succeeded", 3), ("succeeded", 0), ("succeeded", 1)]
