"""Seeded fuzzing of the structured inputs issue 18 found holes in: WARC records, feed bodies
and inbox trees of links. (JSON-LD fields are fuzzed in the inbox corpus itself:
tests/support/fuzz_corpus.py, classes poisoned_json_ld and malformed_metadata.) Each test
checks a property over many generated inputs, not one example."""

from __future__ import annotations

import io
import os
import random
import uuid
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.models import RawInput, Rejection
from pipeline.sources.feeds import parse_feed
from pipeline.sources.fetch import FetchError
from pipeline.sources.files import discover_files, is_supported
from pipeline.sources.warc import read_records
from tests.support.http_server import article_html, rss

ARCHIVES = 120


def _record_bytes(uri: str, body: bytes, *, gzip: bool, target: bool) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    # A fixed date and id: the record's bytes, and so where a seed cuts them, are the same in
    # every run.
    headers = {"WARC-Date": "2024-03-01T10:00:00Z",
               "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, uri)}>"}  # fmt: skip
    record = writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict=headers
    )
    if not target:
        record.rec_headers.remove_header("WARC-Target-URI")
    writer.write_record(record)
    return out.getvalue()


def _lying_length(record: bytes, rng: random.Random) -> bytes:
    """The record (uncompressed) with a Content-Length larger than its block."""
    start = record.index(b"Content-Length: ") + len(b"Content-Length: ")
    end = record.index(b"\r\n", start)
    declared = int(record[start:end]) + rng.choice([5, 100, 10**6, 999_999_999_999])
    return record[:start] + str(declared).encode() + record[end:]


@pytest.mark.parametrize("gzip", [False, True])
def test_damaged_archives_yield_every_whole_record_and_no_partial_one(
    tmp_path: Path, gzip: bool
) -> None:
    """Whatever the damage (a missing target URI, a cut, a length that lies, junk after the
    end), reading never raises, yields no page that is not exactly one written, and yields
    every page whose record lies wholly before the damage."""
    for seed in range(ARCHIVES):
        rng = random.Random(seed)
        bodies = [article_html(seed * 10 + i) for i in range(rng.randint(3, 7))]
        records = []
        damaged: set[int] = set()
        for i, body in enumerate(bodies):
            target = rng.random() > 0.15
            record = _record_bytes(f"http://fuzz.example/{seed}/{i}", body, gzip=False,
                                   target=target)  # fmt: skip
            if not target:
                damaged.add(i)
            if rng.random() < 0.15:
                record = _lying_length(record, rng)
                damaged.add(i)
            records.append(_gzip_member(record) if gzip else record)
        data = b"".join(records)
        ends = [sum(len(r) for r in records[: i + 1]) for i in range(len(records))]
        cut = len(data)
        if rng.random() < 0.4:
            cut = rng.randrange(len(data))
            data = data[:cut]
        elif rng.random() < 0.2:
            data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
        path = tmp_path / f"f{seed}.warc{'.gz' if gzip else ''}"
        path.write_bytes(data)

        items = list(read_records(path, 10**7))
        pages = [item for item in items if isinstance(item, RawInput)]
        # (A length one to three bytes long takes in part of the blank lines after the record,
        # which the page's HTML does not notice.)
        assert all(page.data.rstrip(b"\r\n") in bodies for page in pages), f"seed {seed}"
        whole = {bodies[i] for i, end in enumerate(ends) if end <= cut and i not in damaged}
        # An uncompressed record whose length lies swallows what follows up to where reading
        # finds the next record; every record after it is read again from there.
        assert whole <= {page.data.rstrip(b"\r\n") for page in pages}, (
            f"seed {seed}: a whole record lost"
        )
        if damaged or cut < ends[-1]:  # and the damage is reported
            assert any(isinstance(i, Rejection) and i.reason == "bad_warc" for i in items), seed


def _gzip_member(record: bytes) -> bytes:
    import gzip as gz

    return gz.compress(record)


def test_feed_bodies_are_parsed_never_opened(tmp_path: Path) -> None:
    """Bodies that name files (paths, file: URLs, a FIFO, /dev/zero) and random bytes are
    parsed as feed text: a local feed's entries never appear, and nothing but FetchError."""
    local = tmp_path / "local.xml"
    local.write_bytes(rss("http://local-file.test", [("g", "/from-the-disk")]))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    named = [str(local), f"file://{local}", str(fifo), "/dev/zero", "/etc/passwd", "~/x"]
    rng = random.Random(7)
    bodies = [n.encode() for n in named] + [
        bytes(rng.randrange(256) for _ in range(rng.randint(0, 400))) for _ in range(200)
    ]
    bodies += [rss("http://ok.test", [("g", f"/a{i}")])[: rng.randint(0, 400)] for i in range(50)]
    for body in bodies:
        try:
            listed = parse_feed(body, "http://feed.test/feed.xml")
        except FetchError:
            continue
        assert not any("local-file.test" in item.key for item in listed), body[:80]


def test_inbox_trees_of_links_are_walked_to_an_end_and_every_name_is_accounted_for(
    tmp_path: Path,
) -> None:
    """Random inboxes of files, links in and out, dangling links, links to folders, loops and
    FIFOs: every supported name ends as an input (a regular file inside the inbox, once) or
    skipped with a reason; none is read twice or vanishes."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.html").write_bytes(b"<p>outside</p>")
    (outside / "sub").mkdir()
    (outside / "sub" / "deep.html").write_bytes(b"<p>deep</p>")
    for seed in range(40):
        rng = random.Random(seed)
        root = tmp_path / f"inbox{seed}"
        folders = [root]
        root.mkdir()
        for i in range(rng.randint(1, 4)):
            folder = rng.choice(folders) / f"d{i}"
            folder.mkdir()
            folders.append(folder)
        files: list[Path] = []
        for i in range(rng.randint(1, 8)):
            path = rng.choice(folders) / f"f{i}.html"
            path.write_bytes(f"<p>{seed} {i}</p>".encode())
            files.append(path)
        for i in range(rng.randint(0, 8)):
            link = rng.choice(folders) / f"l{i}.html"
            kind = rng.choice(["in", "out", "dangling", "folder_in", "folder_out", "loop", "fifo"])
            if kind == "in":
                link.symlink_to(rng.choice(files))
            elif kind == "out":
                link.symlink_to(outside / "o.html")
            elif kind == "dangling":
                link.symlink_to(root / "missing.html")
            elif kind == "folder_in":
                (link.parent / f"dl{i}").symlink_to(rng.choice(folders))
            elif kind == "folder_out":
                (link.parent / f"dl{i}").symlink_to(outside)
            elif kind == "loop":
                link.symlink_to(link)
            else:
                os.mkfifo(link)
        for follow in (False, True):
            found = discover_files([root], follow_links_out=follow)
            real_root = root.resolve()
            assert len(found.inputs) == len(set(found.inputs)), seed
            for path in found.inputs:
                assert path.is_file() and not path.is_symlink()
                assert follow or path.is_relative_to(real_root), (seed, path)
            assert set(files) <= set(found.inputs), seed
            # A name is skipped under the path it was reached by (through a folder link, say).
            skipped = {_real_name(r.source_uri) for r in found.skipped}
            for here, _, names in os.walk(root, followlinks=False):
                for name in names:
                    entry = Path(here) / name
                    if not is_supported(entry):
                        continue
                    accounted = _real_name(entry.as_uri()) in skipped or (
                        entry.exists() and entry.resolve() in found.inputs
                    )
                    assert accounted, (seed, follow, entry)


def _real_name(uri: str) -> tuple[Path, str]:
    path = Path(uri.removeprefix("file://"))
    return path.parent.resolve(), path.name
