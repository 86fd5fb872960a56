"""Issue 18: one bad input never costs the good ones. Each case is an input that used to fail a
whole batch or run (or load what it must not), among good ones, through the real CLI, real
files, real archives and a real database; every good article must end stored."""

from __future__ import annotations

import io
import logging
import os
import time
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline import store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.ingest import crawl
from pipeline.sources.config import Source
from tests.conftest import query
from tests.support.http_server import article_html, article_text

GOOD = 300


def _ingest(database_url: str, *paths: Path | str, extra: tuple[str, ...] = ()) -> int:
    return main(["ingest", "--database-url", database_url, *extra, *map(str, paths)])


def _good_inbox(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"good{i:03d}.html").write_bytes(article_html(1000 + i))
    return folder


def _stored(db: store.Connection) -> int:
    return int(query(db, "SELECT count(*) FROM articles")[0][0])


def _json_ld_page(field_json: str) -> bytes:
    """A good article whose JSON-LD carries one poisoned field (JSON escapes, as pages do)."""
    return article_html(7).replace(
        b"</head>",
        b'<script type="application/ld+json">{"@context":"https://schema.org",'
        b'"@type":"NewsArticle",' + field_json.encode() + b"}</script></head>",
    )


POISONS = {
    "nul_in_author": '"headline":"Story number 7","author":{"name":"Ann\\u0000Lee"}',
    "surrogate_in_headline": '"headline":"Bridge \\ud800 opens","author":"Ann Lee"',
    "surrogates_in_authors": '"headline":"Story number 7","author":[{"name":"Ann \\udc80Lee"},'
    '{"name":"Bo\\ud800 Ek"}]',
    "noncharacter_in_headline": '"headline":"Bridge \\uffff opens"',
}


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_one_poisoned_page_among_300_good_ones_loads_with_a_note_and_costs_nothing(
    database_url: str, db: store.Connection, tmp_path: Path, poison: str
) -> None:
    inbox = _good_inbox(tmp_path / "inbox", GOOD)
    (inbox / "poisoned.html").write_bytes(_json_ld_page(POISONS[poison]))
    assert _ingest(database_url, inbox) == 0
    assert _stored(db) == GOOD + 1
    (title, outlet, authors), *_ = query(
        db,
        "SELECT title, outlet, authors FROM articles WHERE source_uri LIKE %s",
        ("%/poisoned.html",),
    )
    assert not any(c in f"{title}{outlet}{authors}" for c in ("\x00", "\ud800", "\uffff"))
    notes = query(
        db,
        """SELECT a.source_uri, r.removed FROM articles a
           JOIN article_removals r ON r.article_id = a.id AND r.rule = 'repaired_characters'""",
    )
    # What was replaced is noted, on the poisoned page only.
    assert [uri.rsplit("/", 1)[1] for uri, _ in notes] == ["poisoned.html"]
    assert any(kind in notes[0][1] for kind in ("NUL", "lone surrogate", "noncharacter"))
    assert _ingest(database_url, inbox) == 0  # and a rerun is a no-op, not a failure
    assert _stored(db) == GOOD + 1


def test_an_article_the_database_refuses_is_quarantined_alone(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    """Whatever the database refuses of one row (here a real constraint the test adds), the
    batch is stored without that article and the article is rejected with the reason."""
    inbox = _good_inbox(tmp_path / "inbox", GOOD)
    (inbox / "refused.html").write_bytes(article_html(5, title="FORBIDDEN headline"))
    with db, db.cursor() as cur:
        cur.execute(
            "ALTER TABLE articles ADD CONSTRAINT no_forbidden CHECK (title NOT LIKE 'FORBIDDEN%')"
        )
    assert _ingest(database_url, inbox) == 0
    assert _stored(db) == GOOD
    rejected = query(db, "SELECT source_uri, reason, detail FROM rejected_inputs")
    assert [(uri.rsplit("/", 1)[1], reason) for uri, reason, _ in rejected] == [
        ("refused.html", "store_refused")
    ]
    assert "no_forbidden" in rejected[0][2]
    assert query(db, "SELECT sum(loaded), sum(rejected) FROM ingest_runs") == [(GOOD, 1)]


def test_a_second_name_of_an_inbox_file_is_the_same_input(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    inbox = _good_inbox(tmp_path / "inbox", 5)
    (inbox / "alias.html").symlink_to(inbox / "good002.html")
    (inbox / "sub").mkdir()
    (inbox / "sub" / "again.html").symlink_to("../good003.html")
    assert _ingest(database_url, inbox) == 0
    assert _stored(db) == 5
    assert query(db, "SELECT count(*) FROM rejected_inputs") == [(0,)]
    assert _ingest(database_url, inbox, inbox / "alias.html") == 0
    assert _stored(db) == 5


def test_links_out_of_the_inbox_fifos_and_dangling_links_are_skipped_with_a_reason(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    os.environ["NEWSDEDUP_TEST_SECRET"] = "s3cr3t-value-from-the-environment"
    try:
        inbox = _good_inbox(tmp_path / "inbox", 5)
        (inbox / "passwd.html").symlink_to("/etc/passwd")
        (inbox / "environ.txt").symlink_to("/proc/self/environ")
        outside = tmp_path / "outside.html"
        outside.write_bytes(article_html(99))
        (inbox / "outside.html").symlink_to(outside)
        (inbox / "gone.html").symlink_to(tmp_path / "nothing-here.html")
        os.mkfifo(inbox / "pipe.html")
        assert _ingest(database_url, inbox) == 0
        assert _stored(db) == 5
        reasons = {
            uri.rsplit("/", 1)[1]: reason
            for uri, reason in query(db, "SELECT source_uri, reason FROM rejected_inputs")
        }
        assert reasons == {
            "passwd.html": "link_outside_inbox", "environ.txt": "link_outside_inbox",
            "outside.html": "link_outside_inbox", "gone.html": "dangling_link",
            "pipe.html": "not_a_regular_file",
        }  # fmt: skip
        bodies = " ".join(body for (body,) in query(db, "SELECT body FROM articles"))
        assert "s3cr3t-value" not in bodies and "root:" not in bodies
        # A deployment that links archives in on purpose opts in, and the outside file loads.
        assert _ingest(database_url, inbox, extra=("--follow-links-out",)) == 0
        uris = [uri for (uri,) in query(db, "SELECT source_uri FROM articles")]
        assert outside.resolve().as_uri() in uris
    finally:
        del os.environ["NEWSDEDUP_TEST_SECRET"]


def test_a_file_being_written_waits_and_its_completed_version_becomes_revision_2(
    database_url: str, db: store.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = _good_inbox(tmp_path / "inbox", 3)
    past = time.time() - 600
    for path in inbox.iterdir():
        os.utime(path, (past, past))
    whole = article_html(42)
    half = whole[: len(whole) * 3 // 5]
    growing = inbox / "growing.html"
    growing.write_bytes(half)
    monkeypatch.setenv("NEWSDEDUP_FILE_SETTLE_SECONDS", "60")
    assert _ingest(database_url, inbox) == 0
    assert _stored(db) == 3  # the file just written waits

    # Loaded half written anyway (an old mtime kept by the copier), then completed.
    os.utime(growing, (past, past))
    assert _ingest(database_url, inbox) == 0
    (article_id, first_body, revision), *_ = query(
        db, "SELECT id, body, revision FROM articles WHERE source_uri LIKE %s", ("%/growing.html",)
    )
    assert revision == 1
    growing.write_bytes(whole)
    os.utime(growing, (past + 300, past + 300))
    monkeypatch.setenv("NEWSDEDUP_FILE_SETTLE_SECONDS", "0")
    assert _ingest(database_url, inbox) == 0
    rows = query(
        db,
        "SELECT id, body, revision FROM canonical_articles WHERE source_uri LIKE %s",
        ("%/growing.html",),
    )
    assert [(i, rev) for i, _, rev in rows] == [(article_id, 2)]
    assert len(rows[0][1]) > len(first_body)
    history = query(
        db,
        "SELECT revision, is_current, change FROM article_history WHERE article_id = %s "
        "ORDER BY revision",
        (article_id,),
    )
    assert [(r, current) for r, current, _ in history] == [(1, False), (2, True)]
    assert "added" in history[1][2] or "changed" in history[1][2]


STORY = "%/story.html"


def test_a_corrected_article_keeps_its_id_and_dedupe_follows_the_new_text(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    inbox = _good_inbox(tmp_path / "inbox", 2)
    page = inbox / "story.html"
    page.write_bytes(article_html(50))
    assert _ingest(database_url, inbox) == 0
    (article_id,) = query(db, "SELECT id FROM articles WHERE source_uri LIKE %s", (STORY,))[0]
    page.write_bytes(article_html(51))  # rewritten: another text at the same path
    assert _ingest(database_url, page) == 0
    assert query(db, "SELECT count(*) FROM articles") == [(3,)]
    assert query(
        db, "SELECT id, canonical_id, revision FROM articles WHERE source_uri LIKE %s", (STORY,)
    ) == [(article_id, article_id, 2)]
    # A copy of the new text is a duplicate of the revised article; one of the old is not.
    (inbox / "copy_new.html").write_bytes(article_html(51).replace(b"<nav>", b"<nav>x"))
    (inbox / "copy_old.html").write_bytes(article_html(50).replace(b"<nav>", b"<nav>x"))
    assert _ingest(database_url, inbox) == 0
    canonical = dict(
        (uri.rsplit("/", 1)[1], c)
        for uri, c in query(db, "SELECT source_uri, canonical_id FROM articles")
    )
    assert canonical["copy_new.html"] == article_id
    assert canonical["copy_old.html"] != article_id
    assert query(db, "SELECT sum(revised) FROM ingest_runs") == [(1,)]


def _warc_record(writer: WARCWriter, uri: str | None, body: bytes) -> None:
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        uri or "http://placeholder.example/", "response", payload=io.BytesIO(body),
        http_headers=http,
    )  # fmt: skip
    if uri is None:
        record.rec_headers.remove_header("WARC-Target-URI")
    writer.write_record(record)


def _warc(path: Path, pages: list[tuple[str | None, bytes]], *, gzip: bool) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        for uri, body in pages:
            _warc_record(writer, uri, body)


@pytest.mark.parametrize("gzip", [False, True])
def test_a_record_without_a_target_uri_costs_that_record(
    database_url: str, db: store.Connection, tmp_path: Path, gzip: bool
) -> None:
    pages: list[tuple[str | None, bytes]] = [
        (f"http://archive.example/n/{i}", article_html(200 + i)) for i in range(9)
    ]
    pages.insert(2, (None, article_html(299)))
    archive = tmp_path / ("a.warc.gz" if gzip else "a.warc")
    _warc(archive, pages, gzip=gzip)
    assert _ingest(database_url, archive) == 0
    assert _stored(db) == 9
    rows = query(db, "SELECT source_uri, reason, detail FROM rejected_inputs")
    assert [reason for _, reason, _ in rows] == ["bad_warc"]
    assert "#offset=" in rows[0][0] and "WARC-Target-URI" in rows[0][2]


@pytest.mark.parametrize("damage", ["cut_short", "impossible_length"])
def test_an_uncompressed_archive_cut_short_or_lying_about_a_length_loads_its_good_records(
    database_url: str, db: store.Connection, tmp_path: Path, damage: str
) -> None:
    archive = tmp_path / "b.warc"
    _warc(archive, [(f"http://archive.example/m/{i}", article_html(300 + i)) for i in range(6)],
          gzip=False)  # fmt: skip
    data = archive.read_bytes()
    if damage == "cut_short":
        archive.write_bytes(data[: len(data) - 400])  # the last record loses its end
        expected = 5
    else:  # the third response claims a length far past the end of the file
        third = data.index(b"Content-Length: ", data.index(b"/m/2"))
        archive.write_bytes(data[:third] + b"Content-Length: 999999999999\r\n"
                            + data[data.index(b"\r\n", third) + 2 :])  # fmt: skip
        expected = 5
    assert _ingest(database_url, archive) == 0
    assert _stored(db) == expected
    rows = query(db, "SELECT source_uri, reason, detail FROM rejected_inputs")
    assert [reason for _, reason, _ in rows] == ["bad_warc"]
    assert "declares" in rows[0][2]
    lengths = [len(body) for (body,) in query(db, "SELECT body FROM articles")]
    assert max(lengths) < 2 * min(lengths)  # no record swallowed the ones after it


def test_an_inbox_source_reads_only_new_or_rewritten_files_and_a_rewrite_is_a_revision(
    db: store.Connection, tmp_path: Path
) -> None:
    inbox = _good_inbox(tmp_path / "inbox", 3)
    (inbox / "link.html").symlink_to("/etc/passwd")
    source = Source(name="box", kind="inbox", location=str(inbox))
    settings = Settings()

    def run() -> tuple[list[str], store.RunCounts]:
        run_id = store.start_run(db, "test")
        keys = crawl.discover(db, source, settings)
        crawl.process(db, run_id, source, keys, settings)
        return [Path(k).name for k in keys], store.finish_run(db, run_id)

    keys, counts = run()
    assert (sorted(keys), counts.loaded) == (["good000.html", "good001.html", "good002.html"], 3)
    assert query(db, "SELECT reason FROM rejected_inputs") == [("link_outside_inbox",)]
    assert run()[0] == []  # nothing new: no file is read again
    rewritten = inbox / "good001.html"
    rewritten.write_bytes(article_html(77))
    later = time.time() + 5  # modified after its article was stored, whatever the clocks' grain
    os.utime(rewritten, (later, later))
    keys, counts = run()
    assert (keys, counts.loaded, counts.revised) == (["good001.html"], 0, 1)
    assert query(db, "SELECT count(*), max(revision) FROM articles") == [(3, 2)]


def _with_json_ld(seed: int, *scripts: str) -> bytes:
    """A good article carrying the given JSON-LD script bodies in its <head>."""
    blocks = "".join(f'<script type="application/ld+json">{s}</script>' for s in scripts)
    return article_html(seed).replace(b"</head>", blocks.encode() + b"</head>")


_GOOD_JSON_LD = '{"@type":"NewsArticle","headline":"Story number 8","author":{"name":"Ann Lee"}}'
JSON_LD_POISONS = {
    # 5 MB of nesting: json.loads raised RecursionError, which cost the whole page.
    "nested_5_mb_deep": "[" * 2_500_000 + "]" * 2_500_000,
    # Deep but small: under the size bound, still too deep to parse.
    "nested_deep_small": '{"a":' * 60_000 + "1" + "}" * 60_000,
    "oversized": '{"@type":"NewsArticle","headline":"Story","x":"' + "a" * 3_000_000 + '"}',
    "malformed": '{"@type":"NewsArticle","headline":"Story number 8",,"author":}',
}


@pytest.mark.parametrize("poison", sorted(JSON_LD_POISONS))
def test_json_ld_too_deep_too_large_or_malformed_is_ignored_with_a_note_and_the_page_loads(
    database_url: str,
    db: store.Connection,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    poison: str,
) -> None:
    inbox = _good_inbox(tmp_path / "inbox", 3)
    page = _with_json_ld(8, JSON_LD_POISONS[poison], _GOOD_JSON_LD)
    (inbox / "poisoned.html").write_bytes(page)
    assert _ingest(database_url, inbox) == 0
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert _stored(db) == 4
    assert query(db, "SELECT reason FROM rejected_inputs") == []
    (body, authors), *_ = query(
        db, "SELECT body, authors FROM articles WHERE source_uri LIKE %s", ("%/poisoned.html",)
    )
    assert article_text(8)[0] in body
    assert authors == ["Ann Lee"]  # the good JSON-LD beside the bad one still counts
    notes = query(
        db,
        """SELECT a.source_uri, r.removed FROM articles a
           JOIN article_removals r ON r.article_id = a.id AND r.rule = 'ignored_json_ld'""",
    )
    assert [uri.rsplit("/", 1)[1] for uri, _ in notes] == ["poisoned.html"]
    expected = {"nested_5_mb_deep": "larger than", "nested_deep_small": "deeper than",
                "oversized": "larger than", "malformed": "malformed"}  # fmt: skip
    assert expected[poison] in notes[0][1]


def test_a_body_of_a_megabyte_is_stored_cut_at_a_paragraph_within_the_bound_with_a_record(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    inbox = _good_inbox(tmp_path / "inbox", 2)
    paragraphs = article_text(9, paragraphs=4500)
    html = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = f"<html><head><title>Long read</title></head><body><article><h1>The long read</h1>{html}"
    (inbox / "long.html").write_bytes(f"{page}</article></body></html>".encode())
    assert sum(map(len, paragraphs)) > 1_000_000
    assert _ingest(database_url, inbox) == 0
    assert _stored(db) == 3
    (article_id, body), *_ = query(
        db, "SELECT id, body FROM articles WHERE source_uri LIKE %s", ("%/long.html",)
    )
    assert 150_000 < len(body) <= 200_000
    assert body.startswith(paragraphs[0])
    kept = body.split("\n\n")
    assert kept == paragraphs[: len(kept)]  # whole paragraphs, in order: cut between two
    (removed,), *_ = query(
        db,
        "SELECT removed FROM article_removals WHERE article_id = %s AND rule = 'body_past_bound'",
        (article_id,),
    )
    assert f"{len(body):,}" in removed and paragraphs[len(kept)][:40] in removed
    short = query(db, "SELECT count(*) FROM article_removals WHERE rule = 'body_past_bound'")
    assert short == [(1,)]  # the short articles beside it are whole
