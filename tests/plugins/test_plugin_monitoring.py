"""The numbers behind the News ingest page and the data-quality checks, on a real database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline import store
from pipeline.cli import main
from pipeline.ops import monitoring
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
