"""The whole pipeline over the seeds against a real PostgreSQL, as `newsdedup ingest` runs it."""

from __future__ import annotations

import gc
import gzip
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from pipeline import config, store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.dedupe.place import decide_batch
from pipeline.evaluation.synthetic import make_copy
from pipeline.ingest import batch, text_work
from pipeline.store import database
from tests.conftest import SAMPLES, create_database, query


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


# --- dedupe across runs and workers ---------------------------------------------------------


def _partitions(db: store.Connection) -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    """(duplicate groups, story groups) as sets of file names: comparable across databases."""
    rows = query(
        db,
        "SELECT regexp_replace(source_uri, '^.*/', ''), canonical_id, story_id FROM articles",
    )
    groups: tuple[dict[int, set[str]], dict[int, set[str]]] = ({}, {})
    for name, canonical_id, story_id in rows:
        groups[0].setdefault(canonical_id, set()).add(name)
        groups[1].setdefault(story_id, set()).add(name)
    return tuple({frozenset(g) for g in level.values()} for level in groups)  # type: ignore[return-value]


def test_seeds_make_three_stories_and_keep_both_reports_of_one_event_canonical(
    database_url: str, db: store.Connection
) -> None:
    _ingest(database_url, SAMPLES)
    duplicates, stories = _partitions(db)
    prefixes = {frozenset(name[:3] for name in group) for group in duplicates}
    assert prefixes == {frozenset({"000"}), frozenset({"001"}), frozenset({"002", "003"}),
                        frozenset({"004"})}  # fmt: skip
    assert {frozenset(name[:3] for name in group) for group in stories} == {
        frozenset({"000", "001"}), frozenset({"002", "003"}), frozenset({"004"})
    }  # fmt: skip
    roles = dict(
        query(
            db,
            "SELECT regexp_replace(a.source_uri, '^.*/(...).*$', '\\1'), s.role "
            "FROM story_clusters s JOIN articles a ON a.id = s.article_id",
        )
    )
    assert sorted(roles[p] for p in ("000", "001")) == ["coverage", "lead"]
    assert sorted(roles[p] for p in ("002", "003")) == ["duplicate", "lead"]
    (scores, passages, reason) = query(
        db, "SELECT scores, shared_passages, reason FROM article_duplicates"
    )[0]
    assert scores["alignment"] >= 0.4 and scores["copy_containment"] < 0.5
    assert passages and {"article", "matched"} <= passages[0].keys()
    assert reason.startswith("rewrite")
    (level,) = query(
        db,
        "SELECT m.level FROM article_matches m JOIN articles a ON a.id = m.article_id "
        "WHERE a.source_uri LIKE '%%/001_%%' OR a.source_uri LIKE '%%/000_%%'",
    )
    assert level == ("same_story",)


def test_a_canonical_never_changes(database_url: str, db: store.Connection) -> None:
    _ingest(database_url, SAMPLES)
    a002, a003 = _seed_uri(db, "002"), _seed_uri(db, "003")
    duplicate = max(a002, a003)
    with pytest.raises(psycopg2.Error, match="canonical_id is stable"):
        query(db, "UPDATE articles SET canonical_id = id WHERE id = %s", (duplicate,))
    with pytest.raises(psycopg2.Error, match="canonical_id is stable"):
        query(
            db, "UPDATE articles SET canonical_id = %s WHERE id = %s", (duplicate, min(a002, a003))
        )


def _corpus(folder: Path) -> Path:
    """The seeds plus outlet copies of two of them (seeded edits), as one inbox."""
    shutil.copytree(SAMPLES, folder)
    rng = random.Random(7)
    for seed in ("000", "004"):
        (path,) = SAMPLES.glob(f"{seed}_*.txt")
        for k in range(2):
            text, _edits = make_copy(path.read_text(encoding="utf-8"), rng)
            (folder / f"{seed}_copy{k}.txt").write_text(text, encoding="utf-8")
    return folder


def _cli(database_url: str, *paths: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "pipeline.cli", "ingest", "--database-url", database_url]
    return subprocess.Popen(
        [*command, *map(str, paths)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _wait(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        out, _ = proc.communicate(timeout=180)
        assert proc.returncode == 0, out.decode()


def _groups_of(url: str) -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    conn = database.connect(url)
    try:
        return _partitions(conn)
    finally:
        conn.close()


def test_one_run_two_runs_and_two_concurrent_workers_give_the_same_groups(
    pg_server: str, database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    corpus = _corpus(tmp_path / "corpus")
    files = sorted(corpus.glob("*.txt"))
    halves = (tmp_path / "a", tmp_path / "b")
    for i, path in enumerate(files):
        halves[i % 2].mkdir(exist_ok=True)
        shutil.copy(path, halves[i % 2] / path.name)

    _ingest(database_url, corpus)
    one_run = _partitions(db)
    duplicates, stories = one_run
    assert len(files) == 9
    by_prefix = {frozenset(Counter(name[:3] for name in g).items()) for g in duplicates}
    assert by_prefix == {
        frozenset({("000", 3)}), frozenset({("001", 1)}), frozenset({("002", 1), ("003", 1)}),
        frozenset({("004", 3)}),
    }  # fmt: skip
    assert sorted(len(g) for g in stories) == [2, 3, 4]

    two_runs = create_database(pg_server)
    _ingest(two_runs, halves[1])
    _ingest(two_runs, halves[0])
    assert _groups_of(two_runs) == one_run

    concurrent = create_database(pg_server)
    _wait(_cli(concurrent, halves[0]), _cli(concurrent, halves[1]))
    assert _groups_of(concurrent) == one_run


def test_near_duplicates_loaded_by_two_workers_at_the_same_moment_get_one_canonical(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    """Both workers are made to wait for the dedupe lock at once (this test holds it), then
    race: whichever decides second must see the first's article."""
    inboxes = []
    for seed in ("002", "003"):
        inbox = tmp_path / seed
        inbox.mkdir()
        (path,) = SAMPLES.glob(f"{seed}_*.txt")
        shutil.copy(path, inbox / path.name)
        inboxes.append(inbox)
    holder = database.connect(database_url)
    with holder.cursor() as cur:
        store.lock_for_dedupe(cur)  # held until holder.rollback()
        procs = [_cli(database_url, inbox) for inbox in inboxes]
        deadline = time.monotonic() + 120
        waiting = 0
        while waiting < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            cur.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = to_regclass(%s)",
                (store.DEDUPE_LOCK,),
            )
            waiting = cur.fetchone()[0]  # type: ignore[index]
        holder.rollback()
    holder.close()
    assert waiting == 2, "both workers should have been waiting for the dedupe lock"
    _wait(*procs)
    assert query(db, "SELECT count(*), count(DISTINCT canonical_id) FROM articles") == [(2, 1)]
    assert query(db, "SELECT count(*) FROM article_duplicates") == [(1,)]


def test_placement_runs_with_rarer_full_collections_and_restores_the_thresholds(
    db: store.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Full collections walk the whole verification-doc cache; while batches are placed they
    run far less often, and the process's own thresholds come back afterwards."""
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []

    def recording(*args: Any) -> Any:
        during.append(gc.get_threshold())
        return decide_batch(*args)

    monkeypatch.setattr(batch, "decide_batch", recording)
    files = sorted(SAMPLES.glob("*.txt"))
    counts = batch.ingest_files(db, store.start_run(db, "test"), files, Settings.from_env())
    assert counts.loaded == len(files)
    assert during and all(threshold[0] > before[0] for threshold in during)
    assert gc.get_threshold() == before


def test_the_page_s_own_day_offset_and_modified_date_are_stored(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    from tests.support.http_server import article_html

    stamps = (
        '<meta property="article:published_time" content="2024-03-01T22:00:00-04:00">'
        '<meta property="article:modified_time" content="2024-03-02T08:30:00-04:00">'
    )
    (tmp_path / "late.html").write_bytes(
        article_html(31).replace(b"</head>", stamps.encode() + b"</head>")
    )
    _ingest(database_url, tmp_path)
    rows = query(
        db,
        """SELECT published_day, published_utc_offset, (published_at AT TIME ZONE 'UTC')::date,
                  updated_at AT TIME ZONE 'UTC' FROM canonical_articles""",
    )
    assert rows == [
        (date(2024, 3, 1), timedelta(hours=-4), date(2024, 3, 2), datetime(2024, 3, 2, 12, 30))
    ]


def test_ingest_uses_every_core_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.INGEST_WORKERS_ENV, raising=False)
    assert config.ingest_workers() == len(os.sched_getaffinity(0))
    monkeypatch.setenv(config.INGEST_WORKERS_ENV, "1")
    assert config.ingest_workers() == 1


def _worker_state() -> tuple[int, int]:
    """(parent pid, word lists loaded) as a pool worker sees them before doing any work."""
    from pipeline.dedupe.fingerprint import _plain_zipf

    return os.getppid(), _plain_zipf.cache_info().currsize


def test_pool_workers_are_forked_already_warm_from_one_fork_server() -> None:
    """The workers share the server's loaded models (copy-on-write) rather than each loading
    its own, and a second pool reuses the server."""
    parents = set()
    for _ in range(2):
        with text_work.text_pool(2) as pool:
            assert pool is not None
            states = [pool.submit(_worker_state).result() for _ in range(4)]
        parents |= {parent for parent, _ in states}
        assert all(loaded == 1 for _, loaded in states)
    assert len(parents) == 1 and os.getpid() not in parents


def test_alone_a_batch_is_decided_before_the_dedupe_lock_and_only_written_under_it(
    db: store.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding and verifying candidates is the costly part of placement, and parsing the
    search documents of what is stored; both run before the lock, so only the writes hold
    other processes up. (When another process stores something
    in between, the batch is decided again under the lock: the test above.)"""
    events: list[str] = []

    def deciding(*args: Any) -> Any:
        events.append("decide")
        return decide_batch(*args)

    def locking(cur: Any) -> None:
        events.append("lock")
        lock_for_dedupe(cur)

    def indexing(cur: Any, rows: Any) -> None:
        events.append("search documents")
        index_for_search(cur, rows)

    lock_for_dedupe, index_for_search = store.lock_for_dedupe, store.index_for_search
    monkeypatch.setattr(batch, "decide_batch", deciding)
    monkeypatch.setattr(store, "lock_for_dedupe", locking)
    monkeypatch.setattr(store, "index_for_search", indexing)
    files = sorted(SAMPLES.glob("*.txt"))
    counts = batch.ingest_files(db, store.start_run(db, "test"), files, Settings.from_env())
    assert counts.loaded == len(files) and counts.merged == 1
    assert events == ["decide", "search documents", "lock"]
    # the four canonical articles have their documents, the duplicate none
    assert query(
        db,
        "SELECT count(*), count(*) FILTER (WHERE a.canonical_id = a.id) "
        "FROM article_search s JOIN articles a ON a.id = s.article_id",
    ) == [(4, 4)]
