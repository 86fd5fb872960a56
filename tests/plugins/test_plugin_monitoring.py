"""The numbers behind the News ingest page and the data-quality checks, on a real database."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from pipeline import config, store
from pipeline.cli import main
from pipeline.ops import alerts, monitoring
from tests.conftest import SAMPLES, query


def _ingest(database_url: str, *paths: Path) -> None:
    assert main(["ingest", "--database-url", database_url, *map(str, paths)]) == 0


@pytest.fixture
def loaded(database_url: str, db: store.Connection, tmp_path: Path) -> store.Connection:
    """Run 1: the samples. Run 2: a copy of one sample under a new name plus two bad inputs."""
    _ingest(database_url, SAMPLES)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = sorted(SAMPLES.glob("0*.txt"))[0]
    shutil.copy(first, inbox / "copy-of-first.txt")
    (inbox / "empty.html").write_bytes(b"")
    (inbox / "tiny.txt").write_text("Subscribe\n")
    _ingest(database_url, inbox)
    return db


def test_runs_report_what_each_run_did(loaded: store.Connection) -> None:
    runs = monitoring.recent_runs(loaded)
    assert [r["run_id"] for r in runs] == [2, 1]  # newest first
    second, first = runs
    assert (first["ingested"], first["canonical"], first["duplicates"]) == (5, 4, 1)
    assert (first["rejected"], float(first["duplicate_rate"])) == (0, 0.2)
    assert (second["ingested"], second["duplicates"], second["rejected"]) == (1, 1, 2)
    assert float(second["reject_rate"]) == pytest.approx(2 / 3, abs=1e-4)


def test_daily_outlets_groups_and_rejections_agree_with_the_tables(
    loaded: store.Connection,
) -> None:
    view = monitoring.overview(loaded)
    assert len(view.daily) == 1
    day = view.daily[0]
    assert (day["runs"], day["ingested"], day["duplicates"], day["rejected"]) == (2, 6, 2, 2)
    articles, duplicates = query(
        loaded, "SELECT count(*), count(*) FILTER (WHERE canonical_id <> id) FROM articles"
    )[0]
    assert sum(o["articles"] for o in view.outlets) == articles == 6
    assert sum(o["duplicates"] for o in view.outlets) == duplicates == 2
    assert {r["reason"] for r in view.rejections} == {"empty", "no_article"}
    biggest = view.duplicate_groups[0]
    per_canonical = query(
        loaded,
        "SELECT canonical_id, count(*) FROM articles WHERE canonical_id <> id "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
    )[0]
    assert (biggest["canonical_id"], biggest["duplicates"]) == per_canonical
    assert view.totals == {
        "articles": 6,
        "canonical": 4,
        "duplicates": 2,
        "stories": 3,
        "rejected_inputs": 2,
        "runs": 2,
    }
    json.dumps(view.as_json())  # the API can return it as is


def test_checks_pass_and_fail_with_clear_messages(loaded: store.Connection) -> None:
    assert monitoring.check_bodies(loaded, 1).ok
    short = monitoring.check_bodies(loaded, 1, min_chars=100_000)
    assert not short.ok and "5 article(s) with a body under 100000 characters" in short.message

    assert monitoring.check_duplicate_rate(loaded, 1, low=0.0, high=0.5).ok
    high = monitoring.check_duplicate_rate(loaded, 1, low=0.0, high=0.1)
    assert not high.ok and "20.0% (1 of 5)" in high.message and "too many copies" in high.message
    low = monitoring.check_duplicate_rate(loaded, 1, low=0.5, high=1.0)
    assert not low.ok and "too few copies" in low.message
    assert monitoring.check_duplicate_rate(loaded, 2, low=0.0, high=0.1, min_articles=2).ok

    assert monitoring.check_rejects(loaded, 1, max_rejected=0, max_reject_rate=0.0).ok
    rejects = monitoring.check_rejects(loaded, 2, max_rejected=1, max_reject_rate=0.9)
    assert not rejects.ok
    assert "2 of 3 input(s) rejected" in rejects.message
    assert "empty: 1" in rejects.message and "no_article: 1" in rejects.message
    with pytest.raises(ValueError, match="no ingest run 99"):
        monitoring.check_rejects(loaded, 99, 0, 0.0)


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_alerts_log_and_post_to_the_webhook_only_when_configured(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class TI:
        task_id, map_index, try_number = "check_rejects", -1, 1

    class Run:
        dag_id, run_id = "news_ingest", "manual__1"

    context = {"ti": TI(), "dag_run": Run(), "exception": RuntimeError("3 of 4 rejected")}
    monkeypatch.delenv(config.ALERT_WEBHOOK_ENV, raising=False)
    with caplog.at_level(logging.ERROR, logger="newsdedup.alerts"):
        alerts.task_failed(context)
    assert "NEWSDEDUP ALERT [task_failed] news_ingest.check_rejects failed in run manual__1" in (
        caplog.text
    )

    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv(config.ALERT_WEBHOOK_ENV, f"http://127.0.0.1:{server.server_port}/hook")
        alerts.run_failed({**context, "reason": "task_failure"})
        asyncio.run(alerts.deadline_missed(context=None, minutes=60.0))
    finally:
        server.shutdown()
    kinds = [payload["alert"] for payload in _Hook.received]
    assert kinds == ["run_failed", "deadline_missed"]
    assert "has not finished 60.0 minutes after it was queued" in _Hook.received[1]["text"]

    # A webhook that is down is logged, never raised.
    monkeypatch.setenv(config.ALERT_WEBHOOK_ENV, "http://127.0.0.1:1/nothing")
    with caplog.at_level(logging.ERROR, logger="newsdedup.alerts"):
        alerts.task_failed(context)
    assert "webhook http://127.0.0.1:1/nothing failed" in caplog.text


def test_cleaning_audit_lists_kept_and_mostly_removed_articles(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    prose = [
        "The harbour commission approved the dredging plan on Tuesday after a long debate "
        "about the cost of deepening the channel for the new container ships.",
        "Work starts in the spring and should take two years, the commission's chair said, "
        "with the port open to traffic for the whole of that time.",
    ]
    teasers = [f"READ MORE: Harbour story number {n} of the week" for n in range(20)]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "listing.txt").write_text("\n".join(teasers[:4]) + "\n", encoding="utf-8")
    (inbox / "mostly-teasers.txt").write_text("\n".join(prose + teasers) + "\n", encoding="utf-8")
    _ingest(database_url, inbox)

    audit = {row["source_uri"].rsplit("/", 1)[-1]: row for row in monitoring.cleaning_audit(db)}
    assert set(audit) == {"listing.txt", "mostly-teasers.txt"}
    assert audit["listing.txt"]["reason"] == "kept_extracted"
    assert audit["mostly-teasers.txt"]["reason"] == "most_removed"
    assert audit["mostly-teasers.txt"]["removed_share"] > 0.5
    assert audit["listing.txt"]["rules"] == ["promo"]
    # The listing's body is its text as it came; its promo lines are noted, not applied.
    body, applied = query(
        db,
        "SELECT a.body, array_agg(DISTINCT r.applied) FROM articles a "
        "JOIN article_removals r ON r.article_id = a.id WHERE a.source_uri LIKE %s GROUP BY 1",
        ("%listing.txt",),
    )[0]
    assert body.split("\n\n") == teasers[:4] and applied == [False]
    removed = {r["rule"]: r["removals"] for r in monitoring.removals_by_rule(db)}
    assert removed["promo"] == 20  # the 20 of mostly-teasers.txt; the listing's 4 were not applied
    assert len(monitoring.overview(db).audit) == 2
