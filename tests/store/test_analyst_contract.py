"""The analysts' contract (sql/014_analyst_contract.sql): every README query runs under the
analyst role, every analyst relation and column is described, and full-text search finds the
seed stories, from psql and from `newsdedup search`. Real PostgreSQL, the seed corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg2.errors
import pytest

from pipeline import store
from pipeline.cli import main
from pipeline.store import Connection
from tests.conftest import REPO, SAMPLES, query


def _sql_blocks(section: str, until: str) -> list[str]:
    """The statements of the ```sql blocks between two README headings."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    text = readme[readme.index(section) : readme.index(until)]
    statements: list[str] = []
    for block in re.findall(r"```sql\n(.*?)```", text, re.S):
        code = "\n".join(line for line in block.splitlines() if not line.startswith("--"))
        statements += [s.strip() for s in code.split(";\n") if s.strip()]
    return statements


ANALYST_QUERIES = _sql_blocks("## For analysts\n", "### For operators\n")
OPERATOR_QUERIES = _sql_blocks("### For operators\n", "### Analyst access\n")


def test_the_readme_has_the_examples_this_file_runs() -> None:
    assert len(ANALYST_QUERIES) >= 8 and len(OPERATOR_QUERIES) >= 3
    assert any("search_articles" in q for q in ANALYST_QUERIES)
    assert any("FROM stories" in q for q in ANALYST_QUERIES)


def _run(conn: Connection, statement: str) -> None:
    """Run a README statement as psql would: no parameters, so a % is a literal."""
    with conn, conn.cursor() as cur:
        cur.execute(statement)


@pytest.fixture
def seeded(database_url: str, db: Connection) -> Connection:
    assert main(["ingest", "--database-url", database_url, str(SAMPLES)]) == 0
    return db


@pytest.mark.parametrize("statement", ANALYST_QUERIES)
def test_every_readme_analyst_query_runs_as_the_analyst(
    seeded: Connection, analyst: Connection, statement: str
) -> None:
    _run(analyst, statement)


@pytest.mark.parametrize("statement", OPERATOR_QUERIES)
def test_every_readme_operator_query_runs_as_the_owner_and_not_as_the_analyst(
    seeded: Connection, analyst: Connection, statement: str
) -> None:
    _run(seeded, statement)
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _run(analyst, statement)


def test_the_analyst_sees_each_copy_beside_its_canonical(
    seeded: Connection, analyst: Connection
) -> None:
    rows = query(
        analyst,
        "SELECT url, title, canonical_url, canonical_title, canonical_id FROM article_duplicates",
    )
    assert len(rows) == 1
    url, title, canonical_url, canonical_title, canonical_id = rows[0]
    assert {url.rsplit("/", 1)[1][:3], canonical_url.rsplit("/", 1)[1][:3]} == {"002", "003"}
    assert title and canonical_title and title != canonical_title
    (story,) = query(
        analyst, "SELECT * FROM stories WHERE %s = ANY(canonical_ids)", (canonical_id,)
    )
    assert story[0] == canonical_id and story[4] == 2  # story_id, articles: the copy counts
    assert query(
        analyst, "SELECT count(*), count(*) FILTER (WHERE is_canonical) FROM all_articles"
    ) == [(5, 4)]


def _search(
    database_url: str, capsys: pytest.CaptureFixture[str], *args: str
) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["search", "--database-url", database_url, "--json", *args]) == 0
    hits: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return hits


@pytest.mark.parametrize(
    ("word", "seeds"), [("Tartus", {"002", "003"}), ("Hamadan", {"000", "001"})]
)
def test_search_finds_the_seed_stories(
    seeded: Connection,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    word: str,
    seeds: set[str],
) -> None:
    hits = _search(database_url, capsys, word)
    assert hits and word.lower() in hits[0]["excerpt"].lower()
    story_urls = query(
        seeded, "SELECT source_uri FROM articles WHERE story_id = %s", (hits[0]["story_id"],)
    )
    assert {url.rsplit("/", 1)[1][:3] for (url,) in story_urls} == seeds


def test_search_stems_ranks_and_filters(
    seeded: Connection, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # English stems: "withdrawing" finds "withdraws"; a phrase must be one
    assert _search(database_url, capsys, "withdrawing")
    assert not _search(database_url, capsys, '"base naval"')
    hits = _search(database_url, capsys, "naval base")
    assert len(hits) >= 2 and hits[0]["rank"] >= hits[-1]["rank"]
    assert len(_search(database_url, capsys, "naval base", "--limit", "1")) == 1
    assert not _search(database_url, capsys, "Tartus", "--since", "2030-01-01")
    assert not _search(database_url, capsys, "Tartus", "--outlet", "no such outlet")
    assert not _search(database_url, capsys, "the")  # only stop words: matches nothing, no error
    # search answers with canonical articles only: the copy of 003 is not a hit of its own
    ids = {hit["id"] for hit in _search(database_url, capsys, "Tartus", "--limit", "50")}
    assert ids <= {
        row[0] for row in query(seeded, "SELECT id FROM articles WHERE canonical_id = id")
    }


def test_search_prints_a_table_and_says_when_nothing_matches(
    seeded: Connection, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "--database-url", database_url, "Tartus"]) == 0
    out = capsys.readouterr().out
    assert "Canonical articles matching 'Tartus'" in out and "Tartus" in out
    assert main(["search", "--database-url", database_url, "zzyzx"]) == 0
    assert "no canonical article matches 'zzyzx'" in capsys.readouterr().out


def test_each_article_is_parsed_in_its_languages_configuration(db: Connection) -> None:
    configs = query(
        db, "SELECT newsdedup_search_config('en')::text, newsdedup_search_config('DE')::text, "
        "newsdedup_search_config('zh')::text, newsdedup_search_config(NULL)::text",
    )  # fmt: skip
    assert configs == [("english", "german", "simple", "simple")]
    # a German article matches the German stem of a query word it does not contain as such
    query(
        db, """INSERT INTO articles (id, source_uri, title, language, body, raw_sha256,
                                     body_sha256, canonical_id, story_id)
               VALUES (1, 'file:///de.txt', 'Wahlen', 'de', 'Die Bürger wählten gestern.', 'r',
                       'b', 1, 1) RETURNING id""",
    )  # fmt: skip
    with db, db.cursor() as cur:  # as ingest writes the document of what it stores
        store.index_for_search(cur, [(1, "de", "Wahlen", "Die Bürger wählten gestern.")])
    assert query(db, "SELECT id FROM search_articles('Bürgern')") == [(1,)]


def test_every_analyst_relation_and_column_is_described(db: Connection) -> None:
    granted = [
        name for (name,) in query(
            db, """SELECT DISTINCT table_name FROM information_schema.role_table_grants
                   WHERE grantee = 'newsdedup_analyst' AND privilege_type = 'SELECT'""",
        )
    ]  # fmt: skip
    assert {"all_articles", "canonical_articles", "article_duplicates", "stories"} <= set(granted)
    assert "articles" not in granted
    undescribed = query(
        db,
        """SELECT c.relname, a.attname FROM pg_class c
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE c.relname = ANY(%s) AND col_description(c.oid, a.attnum) IS NULL
           UNION ALL
           SELECT c.relname, '' FROM pg_class c
           WHERE c.relname = ANY(%s) AND obj_description(c.oid, 'pg_class') IS NULL""",
        (granted, granted),
    )
    assert undescribed == []


def test_search_follows_a_revised_article_and_forgets_its_old_words(
    database_url: str, db: Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (seed,) = SAMPLES.glob("000_*.txt")
    page = inbox / seed.name
    page.write_text(seed.read_text(encoding="utf-8") + "\nThe Qorvathel committee met.\n")
    assert main(["ingest", "--database-url", database_url, str(inbox)]) == 0
    assert len(_search(database_url, capsys, "Qorvathel")) == 1
    page.write_text(seed.read_text(encoding="utf-8") + "\nThe Zembrulat committee met.\n")
    assert main(["ingest", "--database-url", database_url, str(inbox)]) == 0
    assert query(db, "SELECT revision FROM articles") == [(2,)]
    assert not _search(database_url, capsys, "Qorvathel")
    assert len(_search(database_url, capsys, "Zembrulat")) == 1
