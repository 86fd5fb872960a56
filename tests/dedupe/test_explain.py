"""`newsdedup explain ID1 ID2` on the seeds, against a real PostgreSQL."""

from __future__ import annotations

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
