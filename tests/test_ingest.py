"""The whole pipeline over the seeds against a real PostgreSQL, as `newsdedup ingest` runs it."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline import store
from pipeline.cli import main
from tests.conftest import SAMPLES, query


def _ingest(database_url: str, *paths: Path) -> None:
    assert main(["ingest", "--database-url", database_url, *map(str, paths)]) == 0


def _seed_uri(db: store.Connection, prefix: str) -> int:
    rows = query(db, "SELECT id FROM articles WHERE source_uri LIKE %s", (f"%/{prefix}_%",))
    assert len(rows) == 1
    return int(rows[0][0])


def test_seeds_load_into_four_canonical_articles(database_url: str, db: store.Connection) -> None:
    _ingest(database_url, SAMPLES)
    uris = [u for (u,) in query(db, "SELECT source_uri FROM articles ORDER BY source_uri")]
    assert [u.rsplit("/", 1)[1] for u in uris] == sorted(p.name for p in SAMPLES.glob("*.txt"))
    assert query(db, "SELECT count(*) FROM canonical_articles") == [(4,)]
    a002, a003 = _seed_uri(db, "002"), _seed_uri(db, "003")
    links = query(db, "SELECT article_id, canonical_id, method FROM article_duplicates")
    assert len(links) == 1
    article_id, canonical_id, _method = links[0]
    assert {article_id, canonical_id} == {a002, a003}
    canonical = {i for (i,) in query(db, "SELECT id FROM canonical_articles")}
    assert {_seed_uri(db, p) for p in ("000", "001", "004")} <= canonical
    assert query(
        db, "SELECT duplicate_count FROM canonical_articles WHERE id = %s", (canonical_id,)
    ) == [(1,)]


def test_metadata_is_stored(database_url: str, db: store.Connection) -> None:
    _ingest(database_url, SAMPLES)
    rows = query(
        db,
        "SELECT title, published_at::date::text, authors, language FROM articles "
        "WHERE source_uri LIKE %s",
        ("%/004_%",),
    )
    assert rows == [("US-Russian tensions rise over Syria", "2015-09-17", ["Bill Van Auken"], "en")]
    (date003,) = query(
        db, "SELECT published_at::date::text FROM articles WHERE source_uri LIKE '%%/003_%%'"
    )
    assert date003 == ("2024-12-15",)
    removals = query(
        db,
        "SELECT rule FROM article_removals r JOIN articles a ON a.id = r.article_id "
        "WHERE a.source_uri LIKE '%%/002_%%' AND rule = 'navigation'",
    )
    assert len(removals) == 2


def test_running_again_adds_nothing(database_url: str, db: store.Connection) -> None:
    _ingest(database_url, SAMPLES)
    before = query(db, "SELECT id, canonical_id, story_id FROM articles ORDER BY id")
    _ingest(database_url, SAMPLES)
    assert query(db, "SELECT id, canonical_id, story_id FROM articles ORDER BY id") == before
    runs = query(db, "SELECT loaded, unchanged, status FROM ingest_runs ORDER BY id")
    assert runs == [(5, 0, "succeeded"), (0, 5, "succeeded")]


def test_bad_inputs_are_quarantined_and_the_batch_goes_on(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES, inbox)
    (inbox / "junk.txt").write_bytes(bytes(range(256)) * 40)
    (inbox / "empty.html").write_bytes(b"")
    (inbox / "broken.txt.gz").write_bytes(gzip.compress(b"hello world " * 100)[:-12])
    (inbox / "tiny.txt").write_text("Subscribe\n")
    _ingest(database_url, inbox)
    assert query(db, "SELECT count(*) FROM articles") == [(5,)]
    reasons = dict(
        query(db, "SELECT regexp_replace(source_uri, '^.*/', ''), reason FROM rejected_inputs")
    )
    assert reasons.pop("junk.txt") in {"binary", "undecodable"}
    assert reasons == {
        "empty.html": "empty",
        "broken.txt.gz": "bad_gzip",
        "tiny.txt": "no_article",
    }
    _ingest(database_url, inbox)
    assert query(db, "SELECT count(*), min(attempts) FROM rejected_inputs") == [(4, 2)]


def test_gzip_and_html_inputs(database_url: str, db: store.Connection, tmp_path: Path) -> None:
    (seed,) = SAMPLES.glob("004_*.txt")
    (tmp_path / "004.txt.gz").write_bytes(gzip.compress(seed.read_bytes()))
    paragraphs = "".join(f"<p>{line}</p>" for line in seed.read_text().splitlines() if line.strip())
    html = (
        "<html><head><title>US-Russian tensions rise over Syria</title>"
        '<meta property="og:site_name" content="World Socialist Web Site"></head>'
        f"<body><nav><a href='/'>Home</a></nav><article>{paragraphs}</article></body></html>"
    )
    (tmp_path / "page.html").write_text(html)
    _ingest(database_url, tmp_path)
    rows = query(
        db,
        "SELECT regexp_replace(source_uri, '^.*/', ''), canonical_id = id FROM articles ORDER BY 1",
    )
    # The same text arrived twice: one canonical, one duplicate.
    assert sorted(flag for _name, flag in rows) == [False, True]
    assert query(db, "SELECT outlet FROM articles WHERE source_uri LIKE '%%page.html'") == [
        ("World Socialist Web Site",)
    ]


def test_two_concurrent_processes_end_with_one_canonical_per_group(
    database_url: str, db: store.Connection
) -> None:
    command = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "ingest",
        "--database-url",
        database_url,
        str(SAMPLES),
    ]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out.decode()
    assert query(db, "SELECT count(*) FROM articles") == [(5,)]
    assert query(db, "SELECT count(*) FROM canonical_articles") == [(4,)]
    assert query(db, "SELECT sum(loaded), sum(unchanged) FROM ingest_runs") == [(5, 5)]
