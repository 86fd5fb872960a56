"""Which articles and why (issue 23, part 4): the article browser, one article's detail and
evidence, the sources' health, and ingest runs next to their Airflow runs. Real PostgreSQL, the
samples loaded with the real CLI (one duplicate pair, one same-story pair) and feeds on a local
HTTP server."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from itertools import pairwise
from pathlib import Path

import pytest

from pipeline import store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.dedupe import explain
from pipeline.ops import browse, health, monitoring, run_state
from pipeline.ops.browse import Filters
from pipeline.sources.fetch import Validators
from pipeline.sources.state import save_validators
from pipeline.store import database
from tests.conftest import SAMPLES, query
from tests.plugins.sources_run import failing_feed, feed_sources, ingest_sources
from tests.support.http_server import LocalSite, Reply, article_html, rss, static


def _ids(db: store.Connection) -> dict[str, int]:
    """Article ids by the sample's number: 000 .. 004 (002 is the copy of 003)."""
    rows = query(db, "SELECT regexp_replace(source_uri, '^.*/(...).*$', '\\1'), id FROM articles")
    return {prefix: int(i) for prefix, i in rows}


@pytest.fixture
def ids(database_url: str, db: store.Connection) -> dict[str, int]:
    assert main(["ingest", "--database-url", database_url, str(SAMPLES)]) == 0
    return _ids(db)


def _found(db: store.Connection, **filters: object) -> list[int]:
    return [row["id"] for row in browse.browse(db, Filters(**filters), per_page=200).rows]  # type: ignore[arg-type]


# --- browse and search ------------------------------------------------------------------------


def test_browse_lists_newest_first_and_filters_by_status(
    db: store.Connection, ids: dict[str, int]
) -> None:
    newest_first = [
        i
        for (i,) in query(
            db, "SELECT id FROM articles ORDER BY coalesce(published_at, ingested_at) DESC, id DESC"
        )
    ]
    assert _found(db) == newest_first and len(newest_first) == 5
    copy, original = ids["002"], ids["003"]
    assert sorted(_found(db, status="canonical")) == sorted(set(ids.values()) - {copy})
    assert _found(db, status="duplicate") == [copy]
    # 000 and 001 are one story told twice; the duplicate pair is one text, not two
    assert sorted(_found(db, status="same_story")) == sorted([ids["000"], ids["001"]])
    row = next(r for r in browse.browse(db, Filters()).rows if r["id"] == copy)
    assert (row["role"], row["canonical_id"], row["excerpt"]) == ("duplicate", original, None)
    assert (
        next(r for r in browse.browse(db, Filters()).rows if r["id"] == original)["duplicates"] == 1
    )
    with pytest.raises(ValueError, match="status must be one of"):
        Filters(status="deleted")


def test_search_finds_duplicates_through_their_canonical(
    db: store.Connection, ids: dict[str, int]
) -> None:
    copy, original = ids["002"], ids["003"]
    analysts = [r["id"] for r in monitoring_search(db, "Tartus")]
    assert original in analysts and copy not in analysts  # duplicates have no search document
    hits = _found(db, q="Tartus")
    assert original in hits and copy in hits
    assert _found(db, q="Tartus", status="duplicate") == [copy]
    assert _found(db, q="zzyzx-nothing") == []
    view = browse.browse(db, Filters(q="Tartus"))
    assert view.total == len(hits)
    assert all("«" in row["excerpt"] for row in view.rows if row["id"] == original)


def monitoring_search(db: store.Connection, text: str) -> list[dict[str, object]]:
    """What the analysts' search_articles() answers (sql/014, its query now sql/019's)."""
    return store.query_rows(db, "SELECT * FROM search_articles(%s, NULL, NULL, 50)", (text,))


def test_browse_filters_by_outlet_day_and_run_and_pages(
    database_url: str, db: store.Connection, ids: dict[str, int]
) -> None:
    assert len(_found(db, outlet="(unknown)")) == 5  # the samples name no outlet
    assert _found(db, outlet="Nobody's Gazette") == []
    (day,) = query(db, "SELECT published_at::date FROM articles WHERE id = %s", (ids["004"],))[0]
    on_that_day = query(
        db,
        "SELECT id FROM articles WHERE (coalesce(published_at, ingested_at) AT TIME ZONE 'UTC')"
        "::date = %s",
        (day,),
    )
    assert sorted(_found(db, day=day)) == sorted(i for (i,) in on_that_day)
    assert ids["004"] in _found(db, day=day) and len(on_that_day) < 5
    assert _found(db, day=dt.date(1999, 1, 1)) == []
    assert len(_found(db, run=1)) == 5 and _found(db, run=2) == []

    pages = [browse.browse(db, Filters(), page=n, per_page=2) for n in (1, 2, 3, 4)]
    assert [p.pages for p in pages] == [3, 3, 3, 3] and [p.total for p in pages] == [5] * 4
    assert [len(p.rows) for p in pages] == [2, 2, 1, 0]
    assert [r["id"] for p in pages for r in p.rows] == _found(db)
    json.dumps(pages[0].as_json())
    assert browse.outlets(db) == ["(unknown)"]


# --- one article ------------------------------------------------------------------------------


def test_article_detail_has_removals_canonical_copies_story_and_links(
    db: store.Connection, ids: dict[str, int]
) -> None:
    copy, original = ids["002"], ids["003"]
    detail = browse.article(db, copy)
    assert detail is not None and detail.is_duplicate
    assert detail.canonical is not None and detail.canonical["id"] == original
    assert detail.related_ids() == [original]
    removals = query(
        db,
        "SELECT position, rule, removed, applied FROM article_removals WHERE article_id = %s "
        "ORDER BY position",
        (copy,),
    )
    assert removals, "the sample's copy has lines the cleaner removed"
    assert [tuple(r.values()) for r in detail.removals] == removals
    assert {(link["article_id"], link["matched_id"], link["level"]) for link in detail.links} == {
        (copy, original, "duplicate")
    }
    assert detail.article["body"] == query(db, "SELECT body FROM articles WHERE id = %s",
                                           (copy,))[0][0]  # fmt: skip
    assert detail.run is not None and detail.run["triggered_by"] == "cli"
    json.dumps(detail.as_json())

    canonical = browse.article(db, original)
    assert canonical is not None and not canonical.is_duplicate
    assert [r["id"] for r in canonical.duplicates] == [copy] and canonical.related_ids() == [copy]

    story = browse.article(db, ids["001"])
    assert story is not None and [r["id"] for r in story.story] == [ids["000"]]
    assert story.related_ids() == [ids["000"]]
    assert browse.article(db, 999_999) is None


def test_evidence_is_what_explain_prints_and_marks_in_both_texts(
    database_url: str, db: store.Connection, ids: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    copy, original = ids["002"], ids["003"]
    exp = explain.explain(db, copy, original, Settings.from_env().dedupe)
    data = exp.as_json()
    json.dumps(data)
    assert data["grouped_as"].startswith("duplicates") and data["compared_now"]["level"] == (
        "duplicate"
    )
    assert [row[0] for row in exp.score_rows()][-1].startswith("same-story probability")
    capsys.readouterr()
    assert main(["explain", str(copy), str(original), "--database-url", database_url]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert f"Compared now: duplicate — {exp.decision.reason}" in printed
    assert f"{data['story_model']['probability']:.4g}" in printed

    mine = [a for a, _ in exp.comparison.shared_passages]
    theirs = [b for _, b in exp.comparison.shared_passages]
    assert mine and theirs
    for body, passages in ((exp.first.body, mine), (exp.second.body, theirs)):
        spans = explain.passage_spans(body, passages)
        assert spans, "no shared passage was found in the body"
        for start, end, index in spans:
            assert body[start:end].split() == passages[index].split()
        assert all(a[1] <= b[0] for a, b in pairwise(spans))


def test_passage_spans_fold_whitespace_and_leave_out_what_is_not_there() -> None:
    text = "One  sentence\nhere. Another one. One sentence here."
    spans = explain.passage_spans(text, ["One sentence here.", "Not in it.", "Another one."])
    assert spans == [(0, 19, 0), (20, 32, 2)]
    assert explain.passage_spans(text, ["One sentence here.", "One sentence here."]) == [
        (0, 19, 0),
        (33, 51, 1),
    ]
    assert explain.passage_spans(text, ["", "   "]) == []


# --- source health ----------------------------------------------------------------------------


def test_source_health_counts_items_polls_and_shows_a_failing_feed(
    database_url: str, db: store.Connection, site: LocalSite, tmp_path: Path
) -> None:
    site.routes["/a1"] = static(article_html(71), "text/html")
    site.routes["/a2"] = Reply(404, b"gone", {"Content-Type": "text/plain"})
    good = site.url("/feed.xml")
    site.routes["/feed.xml"] = static(
        rss(site.base, [("g1", "/a1"), ("g2", "/a2")]), "application/rss+xml", '"v1"'
    )
    bad = failing_feed(site)
    sources = feed_sources(tmp_path / "sources.toml", {"good": good, "bad": bad})
    first_run, counts = ingest_sources(database_url, sources)
    assert counts.loaded == 1
    second_run, _ = ingest_sources(database_url, sources)  # the good feed answers 304
    assert site.hits("/feed.xml")[1].headers.get("if-none-match") == '"v1"'
    assert query(db, "SELECT polls, not_modified FROM http_validators WHERE url = %s",
                 (good,)) == [(2, 1)]  # fmt: skip

    rows = {row["source"]: row for row in health.source_health(db)}
    assert list(rows) == ["bad", "good"]  # failing first
    failing, ok = rows["bad"], rows["good"]
    assert (failing["status"], failing["failing_listings"]) == ("failing", 1)
    assert failing["last_error_reason"] == "http_500" and failing["last_error_kind"] == "listing"
    assert failing["last_error_item"] == bad and "500" in failing["last_error_detail"]
    assert failing["items"] == dict.fromkeys(health.ITEM_STATUSES, 0)
    assert failing["polls"] == 0 and failing["hit_rate"] is None
    assert ok["status"] == "ok" and ok["items"]["done"] == 1
    assert ok["items"]["rejected"] + ok["items"]["retry"] + ok["items"]["gave_up"] == 1
    assert ok["last_error_reason"] == "http_404" and ok["last_error_kind"] == "page"
    assert ok["last_run_id"] in (first_run, second_run)
    assert (ok["polls"], ok["not_modified"], float(ok["hit_rate"])) == (2, 1, 0.5)
    json.dumps(store.jsonable(list(rows.values())))

    # The feed comes back: its latest poll succeeded, so it is no longer failing
    site.routes["/broken-feed.xml"] = static(rss(site.base, []), "application/rss+xml", '"b1"')
    ingest_sources(database_url, sources)
    rows = {row["source"]: row for row in health.source_health(db)}
    assert rows["bad"]["status"] == "ok" and rows["bad"]["failing_listings"] == 0
    assert (rows["good"]["polls"], rows["good"]["not_modified"]) == (3, 2)


def test_poll_counters_start_from_the_last_status_of_older_rows(
    database_url: str, tmp_path: Path
) -> None:
    older = tmp_path / "to-018"
    older.mkdir()
    for path in store.migration_files():
        if path.stem < "019":
            shutil.copy(path, older)
    conn = database.connect(database_url)
    try:
        store.apply_migrations(conn, older)
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO http_validators (url, last_status) VALUES ('http://a/', 200),"
                        " ('http://b/', 304)")  # fmt: skip
        store.apply_migrations(conn)
        save_validators(conn, "http://b/", 304, Validators('"e"', None))
        save_validators(conn, "http://c/", 200, Validators('"e"', None))
        rows = query(conn, "SELECT url, polls, not_modified FROM http_validators ORDER BY url")
        assert rows == [("http://a/", 1, 0), ("http://b/", 2, 2), ("http://c/", 1, 0)]
    finally:
        conn.close()


# --- runs and their Airflow runs --------------------------------------------------------------


def test_runs_whose_airflow_run_ended_are_marked_failed(db: store.Connection) -> None:
    died = store.start_run(db, "airflow:news_ingest/manual__died")
    going = store.start_run(db, "airflow:news_ingest/manual__going")
    unknown = store.start_run(db, "airflow:news_ingest/manual__purged")
    closed = store.start_run(db, "airflow:news_ingest/manual__closed")
    store.finish_run(db, closed)
    cli = store.start_run(db, "cli")
    running = run_state.running_airflow_runs(db)
    assert running == {
        died: ("news_ingest", "manual__died"),
        going: ("news_ingest", "manual__going"),
        unknown: ("news_ingest", "manual__purged"),
    }
    states = {
        ("news_ingest", "manual__died"): "failed",
        ("news_ingest", "manual__going"): "running",
        ("news_ingest", "manual__closed"): "success",
    }
    abandoned = run_state.abandon_finished(db, running, states)
    assert list(abandoned) == [died] and "manual__died ended (failed)" in abandoned[died]
    status = dict(query(db, "SELECT id, status FROM ingest_runs"))
    assert status == {died: "failed", going: "running", unknown: "running",
                      closed: "succeeded", cli: "running"}  # fmt: skip
    (error, finished) = query(db, "SELECT error, finished_at FROM ingest_runs WHERE id = %s",
                              (died,))[0]  # fmt: skip
    assert error == abandoned[died] and finished is not None
    assert not store.abandon_run(db, closed, "too late")  # a closed run stays as it was
    assert run_state.abandon_finished(db, running, states) == {}

    shown = {r["run_id"]: r["airflow_state"]
             for r in run_state.with_airflow_state(monitoring.recent_runs(db), states)}  # fmt: skip
    # Airflow no longer has manual__purged: no state; a command-line run has none either
    assert shown == {died: "failed", going: "running", unknown: None, closed: "success", cli: None}
    assert run_state.airflow_run_of("airflow:news_ingest/scheduled__2026-01-01T00:00:00+00:00") == (
        "news_ingest",
        "scheduled__2026-01-01T00:00:00+00:00",
    )
    assert run_state.airflow_run_of("cli") is None
    assert run_state.airflow_run_of("airflow:broken") is None


def test_ops_page_html_marks_passages_in_both_texts(
    db: store.Connection, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The article page's renderer (plugins/newsdedup_ops), on a real article pair."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "plugins"))
    from newsdedup_ops.article_page import render_article

    copy, original = ids["002"], ids["003"]
    detail = browse.article(db, copy)
    assert detail is not None
    exp = explain.explain(db, copy, original, Settings.from_env().dedupe)
    html = render_article(detail, [exp], "/news")
    pair = re.search(r'<div class="pair" data-pair="(\d+)-(\d+)">(.*?)</details>', html, re.S)
    assert pair and pair.group(1, 2) == (str(copy), str(original))
    this, other = pair.group(3).split('data-side="other"')
    assert re.search(r'<mark data-shared-passage="\d+"', this)
    assert re.search(r'<mark data-shared-passage="\d+"', other)
    assert f'data-canonical-link="{original}"' in html
    assert "<script" not in html
