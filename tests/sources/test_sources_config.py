"""sources.toml: the repo's file loads, mistakes are named, selection and the inbox param."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.ingest import crawl
from pipeline.ingest.plan import plan, sources_for
from pipeline.sources.config import Source, SourceConfigError, load_sources, parse_sources, select
from tests.conftest import REPO, SAMPLES, query

GOOD = """
[defaults]
max_items = 10

[[sources]]
name = "wire"
kind = "feed"
url = "https://wire.example/rss"
outlet = "Wire"

[[sources]]
name = "archive"
kind = "warc"
path = "archives"
max_items = 2
enabled = false
"""


def test_the_repository_file_loads() -> None:
    sources = load_sources(REPO / "sources.toml")
    assert sources and len({s.name for s in sources}) == len(sources)
    assert {s.kind for s in sources} <= {"inbox", "feed", "sitemap", "warc"}


def test_defaults_paths_and_selection(tmp_path: Path) -> None:
    wire, archive = parse_sources(GOOD, tmp_path)
    assert (wire.kind, wire.location, wire.outlet, wire.max_items) == (
        "feed", "https://wire.example/rss", "Wire", 10,
    )  # fmt: skip
    assert archive.location == str(tmp_path / "archives") and archive.max_items == 2
    assert select([wire, archive], "all") == [wire]  # disabled sources wait to be asked for
    assert select([wire, archive], "archive") == [archive]
    with pytest.raises(SourceConfigError, match="no source named 'nope'"):
        select([wire, archive], "nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[sources]]\nname = "a"\nkind = "rss"\nurl = "http://x"', "kind must be one of"),
        ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "ftp://x"', "needs an http"),
        ('[[sources]]\nname = "a"\nkind = "warc"', "needs a `path`"),
        ('[[sources]]\nname = "A B"\nkind = "inbox"\npath = "x"', "source name"),
        ('[[sources]]\nname = "a"\nkind = "inbox"\npath = "x"\nurll = "y"', "unknown field"),
        ('[[sources]]\nname = "a"\nkind = "inbox"\npath = "x"\nmax_items = 0', "at least 1"),
        ('[[sources]]\nname = "a"\nkind = "inbox"\npath = "x"\n' * 2, "duplicate source"),
        ("[[sources]\n", "not valid TOML"),
    ],
)
def test_mistakes_are_named(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match=message):
        parse_sources(text, tmp_path)


def test_env_points_at_a_deployment_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "deploy.toml"
    config.write_text(GOOD)
    monkeypatch.setenv("NEWSDEDUP_SOURCES", str(config))
    assert [s.name for s in load_sources()] == ["wire", "archive"]
    monkeypatch.setenv("NEWSDEDUP_SOURCES", str(tmp_path / "missing.toml"))
    with pytest.raises(SourceConfigError, match="cannot read"):
        load_sources()


def test_plan_shards_the_inbox_and_skips_a_broken_source(
    tmp_path: Path, db: store.Connection
) -> None:
    config = tmp_path / "sources.toml"
    config.write_text('[[sources]]\nname = "gone"\nkind = "warc"\npath = "no-such-folder"\n')
    sources = sources_for("all", str(SAMPLES), config)
    assert [s.name for s in sources] == ["gone", "inbox"]
    shards = plan(db, sources, Settings(), shard_size=2)
    assert [s["source"] for s in shards] == ["inbox"] * 3  # five samples, two per shard
    assert sum(s["expected"] for s in shards) == 5
    assert shards[0]["label"].startswith("inbox: 000_") and shards[0]["label"].endswith("(+1)")
    assert [s.name for s in sources_for("inbox", str(SAMPLES), config)] == ["inbox"]


def test_an_inbox_source_names_its_articles_by_its_outlet(
    tmp_path: Path, db: store.Connection
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in sorted(SAMPLES.glob("00[01]_*.txt")):
        (inbox / path.name).write_bytes(path.read_bytes())
    source = Source(name="wire", kind="inbox", location=str(inbox), outlet="Wire Desk")
    settings = Settings()
    run_id = store.start_run(db, "test")
    crawl.process(db, run_id, source, crawl.discover(db, source, settings), settings)
    store.finish_run(db, run_id)
    assert query(db, "SELECT outlet, count(*) FROM articles GROUP BY outlet") == [("Wire Desk", 2)]


def test_each_host_gets_one_fetch_pool_and_files_none(tmp_path: Path) -> None:
    from pipeline.sources.config import fetch_pools, parse_sources

    sources = parse_sources(
        '[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://News.Example/rss"\n\n'
        '[[sources]]\nname = "b"\nkind = "sitemap"\nurl = "https://news.example/map.xml"\n\n'
        '[[sources]]\nname = "c"\nkind = "feed"\nurl = "http://other.example:8080/f"\n\n'
        '[[sources]]\nname = "d"\nkind = "warc"\npath = "warcs"\n',
        tmp_path,
    )
    assert [s.fetch_pool for s in sources] == [
        "news_fetch_news.example", "news_fetch_news.example", "news_fetch_other.example", None
    ]  # fmt: skip
    assert [s.dag_id for s in sources][:2] == ["news_source_a", "news_source_b"]
    pools = fetch_pools(sources)
    assert list(pools) == ["news_fetch_news.example", "news_fetch_other.example"]
    assert pools["news_fetch_news.example"]["slots"] == 1
    assert "sources: a, b" in pools["news_fetch_news.example"]["description"]


def test_the_sources_command_prints_the_pools_airflow_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from pipeline.cli import main

    config = tmp_path / "sources.toml"
    config.write_text('[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://a.example/rss"\n')
    assert main(["sources", "pools", "--file", str(config)]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"news_fetch_a.example"}
    assert main(["sources", "--file", str(config)]) == 0
    assert "news_source_a" in capsys.readouterr().out
    config.write_text('[[sources]]\nname = "Bad Name"\nkind = "feed"\n')
    assert main(["sources", "--file", str(config)]) == 2
    assert "source name 'Bad Name'" in capsys.readouterr().err


def test_a_backfill_window_runs_from_the_first_day_through_the_last() -> None:
    from datetime import UTC, datetime

    from pipeline.ingest.plan import day_window

    start, end = day_window("2021-09-01", "2021-09-06")
    assert start == datetime(2021, 9, 1, tzinfo=UTC)
    assert end == datetime(2021, 9, 7, tzinfo=UTC)  # 6 September is included
    assert day_window("2021-09-06", "2021-09-06")[1] == datetime(2021, 9, 7, tzinfo=UTC)
    with pytest.raises(ValueError, match="ends"):
        day_window("2021-09-06", "2021-09-01")
