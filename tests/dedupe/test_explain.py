"""`newsdedup explain ID1 ID2` on the seeds, against a real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline import store
from pipeline.cli import main
from tests.conftest import SAMPLES, query


def _ids(db: store.Connection) -> dict[str, int]:
    rows = query(db, "SELECT regexp_replace(source_uri, '^.*/(...).*$', '\\1'), id FROM articles")
    return {prefix: int(i) for prefix, i in rows}


def _explain(database_url: str, first: int, second: int, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["explain", str(first), str(second), "--database-url", database_url]) == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.fixture
def ids(database_url: str, db: store.Connection) -> dict[str, int]:
    assert main(["ingest", "--database-url", database_url, str(SAMPLES)]) == 0
    return _ids(db)


def test_explain_a_duplicate(
    database_url: str, ids: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    out = _explain(database_url, ids["002"], ids["003"], capsys)
    assert "In the database: duplicates" in out
    assert "Stored link" in out and "duplicate by minhash_lsh+verify" in out
    assert "Compared now: duplicate — rewrite" in out
    assert "alignment" in out and "copy_containment" in out
    assert "Passages the two texts share" in out and "A: " in out and "B: " in out


def test_explain_one_story_and_unrelated(
    database_url: str, ids: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    out = _explain(database_url, ids["000"], ids["001"], capsys)
    assert "one story" in out and "both canonical" in out
    assert "Compared now: same_story — same story: story model story-lr-1: probability" in out
    assert "same-story probability (story-lr-1" in out and "opening_cosine" in out
    # which story each joined and why: the later one by its cosine with the story's centroid
    first = min(ids["000"], ids["001"])
    assert "started a story: no open story matched" in out
    assert f"joined story {first}: cosine" in out and "with a verified link into it" in out
    assert "runner-up" in out
    out = _explain(database_url, ids["004"], ids["000"], capsys)
    assert "In the database: not grouped" in out
    assert "No direct link is stored between them." in out
    assert "Compared now: neither duplicate nor same story — unrelated" in out


def test_explain_an_unknown_id(
    database_url: str, ids: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", str(ids["000"]), "999999", "--database-url", database_url]) == 2
    assert "no article with id 999999" in capsys.readouterr().err


def test_explain_shows_the_revisions_of_a_revised_article(
    database_url: str, db: store.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.http_server import article_html

    page, other = tmp_path / "page.html", tmp_path / "other.html"
    page.write_bytes(article_html(60))
    other.write_bytes(article_html(61))
    assert main(["ingest", "--database-url", database_url, str(tmp_path)]) == 0
    page.write_bytes(
        article_html(60).replace(
            b"</article>",
            b"<p>Update: the mayor resigned on Friday evening, her office said.</p></article>",
        )
    )
    assert main(["ingest", "--database-url", database_url, str(page)]) == 0
    ids = dict(query(db, "SELECT regexp_replace(source_uri, '^.*/', ''), id FROM articles"))
    out = _explain(database_url, ids["page.html"], ids["other.html"], capsys)
    assert "revision 2]" in out
    assert "A revision 1" in out and "first text loaded" in out
    assert "A revision 2" in out and "paragraph: 1 added" in out


# --- explain bounds its work (a body of megabytes, a time limit) -----------------------------

# One sentence repeated far past MAX_COMPARED_CHARS: each sentence has a counterpart in every
# other, which made one comparison of 5 MB run for more than 10 minutes.
HUGE_BODY = (
    "Engineer Qxvortelm of the Zanzibarian Frobnitz said the dredging of Tartus begins soon. "
) * 35_000
PROMPT = 180  # seconds: generous; the bounded work takes a few


@pytest.fixture
def huge_pair(database_url: str, db: store.Connection, ids: dict[str, int]) -> tuple[int, int]:
    """The sample copy and its original (002, 003), both given HUGE_BODY."""
    copy, original = ids["002"], ids["003"]
    query(db, "UPDATE articles SET body = %s WHERE id IN (%s, %s) RETURNING id",
          (HUGE_BODY, copy, original))  # fmt: skip
    return copy, original


def test_explain_compares_only_the_first_characters_of_a_huge_text_and_says_so(
    database_url: str, huge_pair: tuple[int, int]
) -> None:
    from pipeline.dedupe import explain

    copy, original = huge_pair
    newsdedup = str(Path(sys.executable).with_name("newsdedup"))
    done = subprocess.run(
        [newsdedup, "explain", str(copy), str(original), "--database-url", database_url],
        capture_output=True, text=True, timeout=PROMPT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert f"compared only the first {explain.MAX_COMPARED_CHARS:,} characters" in out
    assert f"#{copy} (" in out and f"#{original} (" in out
    assert "Compared now: duplicate" in out  # the first characters of one text, in both


def test_a_comparison_past_its_time_limit_says_so_in_any_thread(
    db: store.Connection, huge_pair: tuple[int, int]
) -> None:
    from pipeline.config import Settings
    from pipeline.dedupe import explain

    copy, original = huge_pair
    settings = Settings.from_env().dedupe
    results: list[explain.Explanation] = []
    # 1 ms: preparing 30,000 characters alone takes longer. The main thread is limited by
    # SIGALRM (the CLI); a worker thread (an api-server request) by the timer thread.
    results.append(explain.explain(db, copy, original, settings, seconds=0.001))
    worker = threading.Thread(
        target=lambda: results.append(explain.explain(db, copy, original, settings, 0.001))
    )
    worker.start()
    worker.join(PROMPT)
    assert len(results) == 2
    for exp in results:
        assert not exp.compared and exp.level_now == "not compared"
        assert "took longer than 0.001 s" in exp.decision.reason
        assert exp.score_rows() == [] and exp.stored_links  # the stored evidence is still there
        assert exp.as_json()["compared_now"]["level"] is None


def test_a_time_limit_that_was_not_reached_never_fires_later() -> None:
    from pipeline.timelimit import ItemTimeout, time_limit

    def quick() -> None:
        for _ in range(200):  # many entries and exits, each well within its limit
            with time_limit(0.02):
                sum(range(100))
        time.sleep(0.1)  # past every limit: a late exception would land here

    errors: list[BaseException] = []

    def run() -> None:
        try:
            quick()
        except ItemTimeout as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(PROMPT)
    assert not worker.is_alive() and errors == []
    with pytest.raises(ItemTimeout), time_limit(0.05):
        time.sleep(0.01)
        while True:
            sum(range(100))
