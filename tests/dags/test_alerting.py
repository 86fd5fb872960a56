"""The ingest DAGs' Notifier: what each alert says, and its delivery through a real apprise
Connection to an HTTP server on 127.0.0.1 (the end-to-end path, a failed check in a real
Airflow, is in tests/dags/test_airflow_integration.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from newsdedup_dags.alerting import ALERTS_CONN_ID, NewsdedupNotifier

from pipeline.ops import alerts
from tests.support.http_server import LocalSite, Reply

CONN_ENV = f"AIRFLOW_CONN_{ALERTS_CONN_ID.upper()}"
URL_TOKEN = "T0KEN-that-must-never-be-logged"  # stands for a webhook URL's secret part


class TI:
    task_id, map_index, try_number = "check_rejects", -1, 1


class Run:
    dag_id, run_id = "news_ingest", "manual__1"


CONTEXT: dict[str, Any] = {
    "ti": TI(), "dag_run": Run(), "exception": RuntimeError("2 of 3 input(s) rejected")
}  # fmt: skip


def _webhook(monkeypatch: pytest.MonkeyPatch, site: LocalSite, path: str, reply: Reply) -> None:
    """A webhook at `path` of the site, named by the apprise Connection as a JSON endpoint."""
    site.routes[path] = reply
    url = "json://" + site.base.removeprefix("http://") + path
    extra = {"config": {"path": url, "tag": "alerts"}}
    monkeypatch.setenv(CONN_ENV, json.dumps({"conn_type": "apprise", "extra": extra}))


def test_each_alert_names_where_it_comes_from() -> None:
    check = alerts.task_failed(CONTEXT)
    assert check.kind == "check_failed"
    assert check.text == (
        "NEWSDEDUP ALERT [check_failed] news_ingest.check_rejects failed in run manual__1: "
        "2 of 3 input(s) rejected"
    )

    class Shard(TI):
        task_id, map_index = "load_shard", 3

    assert alerts.task_failed({**CONTEXT, "ti": Shard()}).summary.startswith(
        "news_ingest.load_shard[3] failed"
    )
    assert alerts.task_failed({**CONTEXT, "ti": Shard()}).kind == "task_failed"
    run = alerts.run_failed({"dag_run": Run(), "reason": "task_failure"})
    assert run.text == "NEWSDEDUP ALERT [run_failed] news_ingest run manual__1 failed: task_failure"
    late = alerts.deadline_missed({"dag_run": {"dag_id": "news_backfill", "run_id": "m2"}}, 60.0)
    assert late.summary == "news_backfill run m2 has not finished 60.0 minutes after it was queued"
    with pytest.raises(ValueError, match="unknown alert kind"):
        alerts.compose("nothing", CONTEXT)


def test_without_the_connection_an_alert_is_one_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(CONN_ENV, raising=False)
    with caplog.at_level(logging.ERROR, logger="newsdedup.alerts"):
        NewsdedupNotifier("task_failed")(CONTEXT)
    lines = [r.getMessage() for r in caplog.records if r.name == "newsdedup.alerts"]
    assert len(lines) == 1
    assert lines[0].startswith("NEWSDEDUP ALERT [check_failed] news_ingest.check_rejects")
    assert "delivery" not in caplog.text  # no Connection is not a failure


def test_the_connection_delivers_sync_and_deadline_alerts_without_logging_its_url(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, site: LocalSite
) -> None:
    path = f"/hooks/{URL_TOKEN}"
    _webhook(monkeypatch, site, path, Reply(200, b"ok"))
    with caplog.at_level(logging.DEBUG):
        NewsdedupNotifier("task_failed")(CONTEXT)
        # The triggerer's way (AsyncCallback): instantiate with the kwargs and the context, await.
        late = NewsdedupNotifier(
            kind="deadline_missed", minutes=60.0,
            context={"dag_run": {"dag_id": "news_ingest", "run_id": "scheduled__2"}},
        )  # fmt: skip

        async def wait_for(notifier: NewsdedupNotifier) -> None:
            await notifier

        asyncio.run(wait_for(late))
    posts = [json.loads(seen.body) for seen in site.hits(path) if seen.method == "POST"]
    assert [(p["title"], p["type"]) for p in posts] == [
        ("NEWSDEDUP ALERT [check_failed]", "failure"),
        ("NEWSDEDUP ALERT [deadline_missed]", "failure"),
    ]
    assert "2 of 3 input(s) rejected" in posts[0]["message"]
    assert "scheduled__2 has not finished 60.0 minutes" in posts[1]["message"]
    assert URL_TOKEN not in caplog.text


def test_a_delivery_that_fails_is_logged_without_the_url_and_never_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, site: LocalSite
) -> None:
    path = f"/down/{URL_TOKEN}"
    _webhook(monkeypatch, site, path, Reply(500, b"broken"))
    with caplog.at_level(logging.DEBUG):
        NewsdedupNotifier("run_failed")({"dag_run": Run(), "reason": "task_failure"})
    assert len(site.hits(path)) >= 1  # it was tried: apprise reports the 500 itself
    # A Connection whose config apprise cannot read: the hook raises, the alert does not.
    bad = {"conn_type": "apprise", "extra": {"config": json.dumps([f"json://x/{URL_TOKEN}"])}}
    monkeypatch.setenv(CONN_ENV, json.dumps(bad))
    with caplog.at_level(logging.DEBUG):
        NewsdedupNotifier("run_failed")({"dag_run": Run(), "reason": "task_failure"})
    logged = [r.getMessage() for r in caplog.records if r.name == "newsdedup.alerts"]
    assert sum(line.startswith("NEWSDEDUP ALERT [run_failed]") for line in logged) == 2
    assert f"delivery through Connection {ALERTS_CONN_ID} failed (TypeError)" in caplog.text
    assert URL_TOKEN not in caplog.text
