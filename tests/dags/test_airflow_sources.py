"""The per-source DAGs on a real Airflow: a poll and a backfill at the same time, one host's
fetches one at a time across both (its fetch pool), and a source whose feed fails."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import psycopg2
import pytest

from tests.support.airflow_stack import PAGE_DELAY, Stack, shared

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest) -> Stack:
    return shared(request.config, "local")


def _when(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def test_the_sources_have_their_own_dags_and_the_backfill_its_date_form(stack: Stack) -> None:
    with stack.client() as api:
        dags = {
            d["dag_id"]: d for d in api.get("/api/v2/dags", params={"limit": 100}).json()["dags"]
        }
        backfill = api.get("/api/v2/dags/news_backfill/details").json()
    for name in ("wire", "archive", "broken-feed"):
        assert dags[f"news_source_{name}"]["timetable_summary"] == "*/15 * * * *"
    assert dags["news_backfill"]["timetable_summary"] is None
    params = backfill["params"]
    assert params["since"]["schema"]["format"] == "date"
    assert params["until"]["schema"]["format"] == "date"
    assert set(params["source"]["schema"]["enum"]) == {"wire", "archive", "broken-feed"}


def test_a_backfill_runs_beside_a_poll_and_one_host_is_fetched_once_at_a_time(
    stack: Stack,
) -> None:
    poll = stack.start_run({}, "news_source_wire")
    backfill = stack.start_run(
        {"source": "archive", "since": "2021-09-01", "until": "2021-09-06"}, "news_backfill"
    )
    polled = stack.wait(poll, "news_source_wire")
    filled = stack.wait(backfill, "news_backfill")
    assert polled["run"]["state"] == filled["run"]["state"] == "success", stack.logs()
    # The two runs were running at the same time: the backfill did not wait for the poll.
    p, b = polled["run"], filled["run"]
    assert _when(p["start_date"]) < _when(b["end_date"])
    assert _when(b["start_date"]) < _when(p["end_date"])
    states: dict[str, set[str]] = {}
    for ti in filled["task_instances"]:
        states.setdefault(ti["task_id"], set()).add(ti["state"])
    assert states["load_archive"] == {"success"} and states["load_wire"] == {"skipped"}
    pools = {
        ti["task_id"]: ti["pool"] for ti in polled["task_instances"] + filled["task_instances"]
    }
    host_pool = pools["load_shard"]
    assert host_pool.startswith("news_fetch_127.0.0.1") and pools["load_archive"] == host_pool
    # Every article page takes PAGE_DELAY to answer; with one fetch slot for the host no page
    # request of one run arrived while one of the other was being answered.
    pages = sorted(
        (seen.at, seen.path.split("/")[1])
        for seen in stack.site.requests
        if seen.path.startswith(("/wire/a", "/archive/a"))
    )
    assert {feed for _, feed in pages} == {"wire", "archive"}
    assert len(pages) == 8  # each page fetched once
    for (at, feed), (next_at, next_feed) in itertools.pairwise(pages):
        if feed != next_feed:
            assert next_at >= at + PAGE_DELAY * 0.9, (feed, next_feed, next_at - at)
    with psycopg2.connect(stack.news_db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT outlet, count(*) FROM articles WHERE outlet LIKE '%% Desk' GROUP BY 1")
        loaded: dict[str, Any] = dict(cur.fetchall())
    conn.close()
    assert loaded == {"Wire Desk": 4, "Archive Desk": 4}


def test_a_failing_feed_is_recorded_and_its_run_still_succeeds(stack: Stack) -> None:
    result = stack.trigger({}, "news_source_broken-feed")
    assert result["run"]["state"] == "success", stack.logs()
    with psycopg2.connect(stack.news_db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT status, reason FROM source_items "
            "WHERE source = 'broken-feed' AND kind = 'listing'"
        )
        rows = cur.fetchall()
    conn.close()
    assert [status for status, _ in rows] == ["retry"] and rows[0][1]
