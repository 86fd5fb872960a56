"""The ingest DAGs on a real Airflow (LocalExecutor, parallelism 4, metadata DB on PostgreSQL),
triggered over the REST API v2: the inbox DAG, a source's poll beside a backfill, the Asset after
the checks, alerts through apprise; then the News ingest plugin's page and API, with and without
an Airflow login."""

from __future__ import annotations

import json
import shutil
import stat
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from tests.support.airflow_stack import ADMIN, ALERT_PATH, PASSWORD, SAMPLES, Stack, shared

pytestmark = pytest.mark.slow

CHECKS = {"check_bodies", "check_duplicate_rate", "check_rejects"}


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest) -> Stack:
    return shared(request.config, "local")


def _states(result: dict[str, Any]) -> dict[str, set[str]]:
    states: dict[str, set[str]] = {}
    for ti in result["task_instances"]:
        states.setdefault(ti["task_id"], set()).add(ti["state"])
    return states


def _news(stack: Stack, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg2.connect(stack.news_db_url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows: list[tuple[Any, ...]] = cur.fetchall()
    conn.close()
    return rows


def test_the_sample_run_succeeds_with_every_task_and_loads_the_samples(stack: Stack) -> None:
    result = stack.sample_run()
    assert result["run"]["state"] == "success", stack.logs()
    states = _states(result)
    expected = {"start_run", "discover", "load_shard", "finish_run", *CHECKS, "publish"}
    assert set(states) == expected
    assert all(s == {"success"} for s in states.values()), states
    run_id = result["run"]["dag_run_id"]
    rows = _news(
        stack,
        "SELECT status, inputs_read, loaded, merged, rejected FROM ingest_runs "
        "WHERE triggered_by = %s",
        (f"airflow:news_ingest/{run_id}",),
    )
    assert rows == [("succeeded", 5, 5, 1, 0)]
    # Other tests load the stack's feeds into the same database: count this run's articles.
    this_run = "FROM articles WHERE run_id = (SELECT id FROM ingest_runs WHERE triggered_by = %s)"
    by = (f"airflow:news_ingest/{run_id}",)
    assert _news(stack, f"SELECT count(*) {this_run} AND canonical_id = id", by) == [(4,)]
    assert _news(stack, f"SELECT count(DISTINCT story_id) {this_run}", by) == [(3,)]


def _asset_events(stack: Stack) -> list[dict[str, Any]]:
    with stack.client() as api:
        events = api.get("/api/v2/assets/events", params={"limit": 100}).json()["asset_events"]
    return list(events)


def _ingest_run_id(stack: Stack, dag_id: str, run_id: str) -> int:
    rows = _news(
        stack, "SELECT id FROM ingest_runs WHERE triggered_by = %s", (f"airflow:{dag_id}/{run_id}",)
    )
    assert len(rows) == 1, rows
    return int(rows[0][0])


def test_the_asset_event_comes_from_publish_and_carries_the_run_counts(stack: Stack) -> None:
    run = stack.sample_run()["run"]
    ingest_run = _ingest_run_id(stack, "news_ingest", run["dag_run_id"])
    ours = [e for e in _asset_events(stack) if e["source_run_id"] == run["dag_run_id"]]
    assert [e["source_task_id"] for e in ours] == ["publish"]
    extra = ours[0]["extra"]
    assert {"loaded": 5, "merged": 1, "rejected": 0, "ingest_run_id": ingest_run}.items() <= (
        extra.items()
    )
    assert extra["dag_id"] == "news_ingest"


def test_a_run_that_loads_nothing_emits_no_asset_event(stack: Stack, tmp_path: Path) -> None:
    stack.sample_run()  # runs of news_ingest are serialised (max_active_runs=1)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = stack.trigger({"inbox": str(empty)})
    assert result["run"]["state"] == "success", stack.logs()
    states = _states(result)
    assert states["finish_run"] == {"success"} and all(states[c] == {"success"} for c in CHECKS)
    assert states["publish"] == {"skipped"}
    run_id = result["run"]["dag_run_id"]
    assert [e for e in _asset_events(stack) if e["source_run_id"] == run_id] == []


def test_a_run_with_too_many_rejects_fails_its_check_loudly(stack: Stack, tmp_path: Path) -> None:
    stack.sample_run()  # runs are serialised (max_active_runs=1): keep the order fixed
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(sorted(SAMPLES.glob("0*.txt"))[0], inbox / "copy-of-first.txt")
    (inbox / "empty.html").write_bytes(b"")
    (inbox / "tiny.txt").write_text("Subscribe\n")
    alerts_before = len(stack.alerts())
    result = stack.trigger({"inbox": str(inbox)})
    stack.runs["rejects"] = result
    assert result["run"]["state"] == "failed"
    states = _states(result)
    # The load itself worked; only the reject check (2 of 3 > 50%) failed, and without retries.
    assert states["finish_run"] == {"success"}
    assert states["check_rejects"] == {"failed"}
    assert states["check_bodies"] == states["check_duplicate_rate"] == {"success"}
    check = next(ti for ti in result["task_instances"] if ti["task_id"] == "check_rejects")
    assert check["try_number"] == 1
    with stack.client() as api:
        log = api.get(
            f"/api/v2/dags/news_ingest/dagRuns/{result['run']['dag_run_id']}"
            "/taskInstances/check_rejects/logs/1",
            headers={"Accept": "application/json"},
        ).text  # structured log lines as JSON: the messages are in there verbatim
    assert "data-quality check rejects failed" in log
    assert "2 of 3 input(s) rejected" in log
    assert "NEWSDEDUP ALERT [check_failed]" in log
    assert ALERT_PATH not in log and ALERT_PATH.rsplit("/", 1)[1] not in log
    # Downstream DAGs hear nothing of a run whose check failed.
    assert states["publish"] == {"upstream_failed"}
    run_id = result["run"]["dag_run_id"]
    assert [e for e in _asset_events(stack) if e["source_run_id"] == run_id] == []
    # The failed check reached the Notifier's apprise Connection (the test site's webhook).
    delivered = stack.alerts()[alerts_before:]
    checks = [a for a in delivered if a["title"] == "NEWSDEDUP ALERT [check_failed]"]
    assert len(checks) == 1, delivered
    assert f"news_ingest.check_rejects failed in run {run_id}" in checks[0]["message"]
    assert "2 of 3 input(s) rejected" in checks[0]["message"]
    assert checks[0]["type"] == "failure"
    # The run's own failure alert comes from the dag-processor, a moment after the run ended.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = [a for a in stack.alerts()[alerts_before:] if a["title"].endswith("[run_failed]")]
        if runs:
            break
        time.sleep(2)
    assert [f"news_ingest run {run_id} failed" in a["message"] for a in runs] == [True]


def test_the_plugin_is_registered_with_its_page_in_the_ui(stack: Stack) -> None:
    with stack.client() as api:
        plugins = api.get("/api/v2/plugins").json()["plugins"]
    ours = next(p for p in plugins if p["name"] == "newsdedup_ops")
    assert [a["url_prefix"] for a in ours["fastapi_apps"]] == ["/news"]
    assert ours["external_views"][0]["name"] == "News ingest"
    assert ours["external_views"][0]["href"] == "/news/"


def test_the_plugin_api_needs_an_airflow_login(stack: Stack) -> None:
    with stack.client(authenticated=False) as anonymous:
        assert anonymous.get("/news/api/overview").status_code == 401
        bad = anonymous.get("/news/api/runs", headers={"Authorization": "Bearer not-a-jwt"})
        assert bad.status_code in (401, 403)
        page = anonymous.get("/news/", headers={"Accept": "text/html"})
        assert page.status_code == 307 and "/auth/login" in page.headers["location"]
        for route in ("/news/openapi.json", "/news/docs", "/news/redoc"):  # the schema too
            assert anonymous.get(route).status_code == 401, route
    with stack.client() as api:
        schema = api.get("/news/openapi.json")
        assert schema.status_code == 200 and "/api/overview" in schema.json()["paths"]
        docs = api.get("/news/docs")
        assert docs.status_code == 200 and "/news/openapi.json" in docs.text
    # The UI's own cookie works too (what the iframe of the external view sends).
    cookie = httpx.get(
        f"{stack.base_url}/news/api/runs", cookies={"_token": stack.token()}, timeout=60
    )
    assert cookie.status_code == 200


def test_the_ui_passwords_file_is_owner_only_and_no_log_shows_the_password(stack: Stack) -> None:
    path = Path(stack.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    stack.token()  # a login with it has happened
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {ADMIN: PASSWORD}  # the api-server generated none
    logs = stack.logs(tail=10**9)
    assert "api-server" in logs and PASSWORD not in logs and "Password for user" not in logs


def test_the_plugin_api_and_page_show_the_loaded_numbers(stack: Stack) -> None:
    stack.sample_run()
    with stack.client() as api:
        overview = api.get("/news/api/overview").json()
        runs = api.get("/news/api/runs").json()
        page = api.get("/news/")
    db_runs = _news(
        stack,
        "SELECT id, loaded, merged, rejected FROM ingest_runs ORDER BY id DESC",
    )
    assert [(r["run_id"], r["ingested"], r["duplicates"], r["rejected"]) for r in runs] == db_runs
    (articles, canonical) = _news(
        stack, "SELECT count(*), count(*) FILTER (WHERE canonical_id = id) FROM articles"
    )[0]
    assert overview["totals"]["articles"] == articles >= 5
    assert overview["totals"]["canonical"] == canonical >= 4
    assert sum(o["articles"] for o in overview["outlets"]) == articles
    assert overview["duplicate_groups"][0]["duplicates"] >= 1
    assert page.status_code == 200
    html = page.text
    assert f'data-metric="articles">{articles}<' in html
    assert f'data-metric="canonical">{canonical}<' in html
    for chart in ("runs", "daily", "outlets", "outlet_daily"):
        assert f'data-chart="{chart}"' in html
