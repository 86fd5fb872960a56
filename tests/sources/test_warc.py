"""WARC backfills: archives written here with warcio, loaded through the CLI like any input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline import store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.ingest import crawl
from pipeline.sources.warc import read_records
from pipeline.store import database
from tests.conftest import create_database, drop_database, query
from tests.support.http_server import article_html, article_text

SITE = "http://archive.example"
PAGES = 120  # two records each (request, response) plus noise: a few hundred records


def _record(writer: WARCWriter, uri: str, body: bytes, *, status: str = "200 OK",
            content_type: str = "text/html; charset=utf-8", date: str = "2024-03-01T10:00:00Z",
            ) -> None:  # fmt: skip
    http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    request = writer.create_warc_record(
        uri, "request", payload=BytesIO(f"GET {uri} HTTP/1.1\r\n\r\n".encode()),
        warc_headers_dict={"WARC-Date": date},
    )  # fmt: skip
    response = writer.create_warc_record(
        uri, "response", payload=BytesIO(body), http_headers=http,
        warc_headers_dict={"WARC-Date": date},
    )  # fmt: skip
    writer.write_record(request)
    writer.write_record(response)


def _pages() -> list[tuple[str, bytes]]:
    pages = [(f"{SITE}/news/{i:03d}", article_html(100 + i)) for i in range(PAGES)]
    pages.append((f"{SITE}/syndicated/005", article_html(105, title="Copied story")))  # a copy
    return pages


def write_warc(path: Path, pages: list[tuple[str, bytes]], *, noise: bool = True) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for n, (uri, body) in enumerate(pages):
            _record(
                writer, f"{uri}?utm_source=crawl", body, date=f"2024-03-{1 + n % 28:02d}T10:00:00Z"
            )
        if noise:  # records that are not articles and must be skipped silently
            _record(writer, f"{SITE}/logo.png", b"\x89PNG\r\n", content_type="image/png")
            _record(writer, f"{SITE}/missing", b"not here", status="404 Not Found")
            _record(writer, f"{SITE}/moved", b"", status="301 Moved Permanently")


@pytest.fixture
def other_db(pg_server: str) -> Iterator[tuple[str, store.Connection]]:
    """A second empty database, to load the same pages another way and compare."""
    url = create_database(pg_server)
    conn = database.connect(url)
    yield url, conn
    conn.close()
    drop_database(pg_server, url)


def _groups(db: store.Connection) -> set[frozenset[str]]:
    """Articles as duplicate groups of body hashes: comparable whatever the source URIs."""
    rows = query(db, "SELECT canonical_id, body_sha256 FROM articles")
    groups: dict[int, set[str]] = {}
    for canonical_id, body_sha in rows:
        groups.setdefault(canonical_id, set()).add(body_sha)
    return {frozenset(g) for g in groups.values()}


def test_warc_ingests_like_the_same_pages_as_files(
    tmp_path: Path, database_url: str, db: store.Connection,
    other_db: tuple[str, store.Connection], capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    pages = _pages()
    archive = tmp_path / "crawl.warc.gz"
    write_warc(archive, pages)
    folder = tmp_path / "pages"
    folder.mkdir()
    for n, (_uri, body) in enumerate(pages):
        (folder / f"{n:03d}.html").write_bytes(body)

    assert main(["ingest", "--database-url", database_url, str(archive)]) == 0
    out = capsys.readouterr().out
    assert "crawl.warc.gz" in out and "100%" in out, out  # the progress bar, finished
    files_url, files_db = other_db
    assert main(["ingest", "--database-url", files_url, str(folder)]) == 0

    assert query(db, "SELECT count(*) FROM articles") == [(len(pages),)]
    assert _groups(db) == _groups(files_db)
    assert len(_groups(db)) == PAGES  # the copy joined its original
    uris = {u for (u,) in query(db, "SELECT source_uri FROM articles")}
    assert f"{SITE}/news/000" in uris  # the record's target URI, tracking parameter dropped
    assert query(db, "SELECT count(*) FROM rejected_inputs") == [(0,)]

    # The same archive again: nothing new, nothing stored twice.
    assert main(["ingest", "--database-url", database_url, str(archive)]) == 0
    assert query(db, "SELECT loaded, unchanged FROM ingest_runs ORDER BY id DESC LIMIT 1") == [
        (0, len(pages))
    ]


def test_progress_reports_every_byte_and_dates_select_records(tmp_path: Path) -> None:
    archive = tmp_path / "a.warc.gz"
    write_warc(archive, _pages()[:10])
    seen: list[int] = []
    items = list(read_records(archive, 1 << 20, on_progress=seen.append))
    assert len(items) == 10 and seen[-1] == archive.stat().st_size
    assert seen == sorted(seen)
    march_2_to_4 = list(
        read_records(
            archive, 1 << 20, since=datetime(2024, 3, 2, tzinfo=UTC),
            until=datetime(2024, 3, 5, tzinfo=UTC),
        )
    )  # fmt: skip
    assert [i.source_uri.rsplit("/", 1)[1] for i in march_2_to_4] == ["001", "002", "003"]


def test_damaged_archive_keeps_what_was_read(tmp_path: Path, db: store.Connection) -> None:
    archive = tmp_path / "cut.warc.gz"
    write_warc(archive, _pages()[:6], noise=False)
    data = archive.read_bytes()
    archive.write_bytes(data[: int(len(data) * 0.7)])  # a download cut short
    run_id = store.start_run(db, "test")
    counts = crawl.process_warcs(db, run_id, None, [str(archive)], Settings())
    assert counts.loaded >= 3
    reasons = [r for (r,) in query(db, "SELECT reason FROM rejected_inputs")]
    assert reasons == ["bad_warc"]


def test_recaptures_of_one_uri_are_one_article_with_a_revision_per_new_text(
    tmp_path: Path, db: store.Connection
) -> None:
    archive = tmp_path / "re.warc.gz"
    page = f"{SITE}/news/777"
    write_warc(
        archive, [(page, article_html(7)), (page, article_html(7)), (page, article_html(8))],
        noise=False,
    )  # fmt: skip
    run_id = store.start_run(db, "test")
    counts = crawl.process_warcs(db, run_id, None, [str(archive)], Settings())
    assert (counts.loaded, counts.unchanged, counts.revised, counts.rejected) == (1, 1, 1, 0)
    assert query(db, "SELECT count(*), max(revision) FROM articles") == [(1, 2)]
    assert query(db, "SELECT revision FROM article_history ORDER BY revision") == [(1,), (2,)]


def test_the_later_capture_is_the_later_revision_whatever_date_it_shows(
    tmp_path: Path, db: store.Connection
) -> None:
    archive = tmp_path / "dated.warc.gz"
    page = f"{SITE}/news/779"

    def dated(seed: int, day: str) -> bytes:
        meta = f'<meta property="article:published_time" content="2024-03-{day}T09:00:00Z">'
        return article_html(seed).replace(b"</head>", meta.encode() + b"</head>")

    write_warc(archive, [(page, dated(10, "05")), (page, dated(11, "01"))], noise=False)
    run_id = store.start_run(db, "test")
    counts = crawl.process_warcs(db, run_id, None, [str(archive)], Settings())
    assert (counts.loaded, counts.revised) == (1, 1)
    (body,) = query(db, "SELECT body FROM articles")[0]
    assert article_text(11)[0] in body  # the capture read last shows
    first = query(db, "SELECT body FROM article_history WHERE revision = 1")[0][0]
    assert article_text(10)[0] in first


def test_a_recapture_loads_when_the_first_capture_was_rejected(
    tmp_path: Path, db: store.Connection
) -> None:
    archive = tmp_path / "wall.warc.gz"
    page = f"{SITE}/news/778"
    wall = b"<html><body><p>Please accept cookies to continue.</p></body></html>"
    write_warc(archive, [(page, wall), (page, article_html(9))], noise=False)
    run_id = store.start_run(db, "test")
    counts = crawl.process_warcs(db, run_id, None, [str(archive)], Settings())
    assert (counts.loaded, counts.rejected) == (1, 1)
    assert query(db, "SELECT source_uri, revision FROM articles") == [(page, 1)]
    assert query(db, "SELECT reason FROM rejected_inputs") == [("no_article",)]


def test_configured_archive_folder_is_read_once_per_file_version(
    tmp_path: Path, db: store.Connection
) -> None:
    from pipeline.sources.config import Source

    folder = tmp_path / "archives"
    folder.mkdir()
    write_warc(folder / "one.warc.gz", _pages()[:3], noise=False)
    source = Source(name="cc", kind="warc", location=str(folder))
    settings = Settings()

    def run() -> list[str]:
        run_id = store.start_run(db, "test")
        keys = crawl.discover(db, source, settings)
        crawl.process(db, run_id, source, keys, settings)
        store.finish_run(db, run_id)
        return [Path(k).name for k in keys]

    assert run() == ["one.warc.gz"]
    assert run() == []
    write_warc(folder / "two.warc.gz", _pages()[3:5], noise=False)
    assert run() == ["two.warc.gz"]
    assert query(db, "SELECT count(*) FROM articles") == [(5,)]
    assert query(db, "SELECT status FROM source_items WHERE kind = 'file'") == [("done",)] * 2
