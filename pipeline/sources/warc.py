"""WARC archives (e.g. CC-NEWS) as inputs: the HTML responses they hold, one RawInput each.

A record's identity is its canonical WARC-Target-URI, as if the page had been fetched live, so
an archived page and the same page fetched or given as a file dedupe as one article. Records
that are not pages (requests, metadata, images, redirects, 404s) are skipped: they were never
articles. A page record that is too large or has no usable URI becomes a Rejection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException

from pipeline.models import RawInput, Rejection
from pipeline.sources.fetch import FetchError, canonical_url, is_page_type, media_type

WARC_SUFFIXES = (".warc", ".warc.gz")


class _TolerantLoader(ArcWarcRecordLoader):  # type: ignore[misc]
    """warcio's loader, for a record without WARC-Target-URI: warcio's own raises AttributeError
    from inside the iteration, which ends the archive there (issue 18). Such a record is read
    without HTTP headers instead, and reported (_page)."""

    def load_http_headers(self, rec_type: str, uri: str | None, stream: Any, length: Any) -> Any:
        return super().load_http_headers(rec_type, uri or "", stream, length)


class _CheckedIterator(ArchiveIterator):  # type: ignore[misc]
    """warcio stops quietly at a gzip stream cut short; note it before the reader is dropped."""

    damaged = False

    def __init__(self, fh: BinaryIO) -> None:
        super().__init__(fh)
        self.loader = _TolerantLoader()

    def close(self) -> None:
        reader = getattr(self, "reader", None)
        decompressor = getattr(reader, "decompressor", None)
        if decompressor is not None and not getattr(decompressor, "eof", True):
            self.damaged = True
        if getattr(self, "err_count", 0):
            self.damaged = True  # records whose length did not match their header
        super().close()


def is_warc(path: Path) -> bool:
    return path.name.lower().endswith(WARC_SUFFIXES)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def read_records(
    path: Path,
    max_bytes: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[RawInput | Rejection]:
    """The page records of one WARC file; on_progress gets the bytes of the file read so far.

    Damage costs only what it touches: a record without a target URI, or cut short (it declares
    more bytes than the file holds), is reported as `bad_warc` with its offset and the records
    after it are read; a file that is not a WARC, or is cut off, yields a Rejection for the file
    after the records read before the damage.
    """
    with path.open("rb") as fh:
        start: int | None = 0
        while start is not None:
            start = yield from _records_from(fh, start, path, max_bytes, since, until, on_progress)
        if on_progress is not None:
            on_progress(fh.tell())


def _records_from(
    fh: BinaryIO,
    start: int,
    path: Path,
    max_bytes: int,
    since: datetime | None,
    until: datetime | None,
    on_progress: Callable[[int], None] | None,
) -> Generator[RawInput | Rejection, None, int | None]:
    """Read records from offset `start`; returns where to read again after an uncompressed
    record whose length is wrong (what it declares may cover the records after it), else
    None."""
    fh.seek(0)
    compressed = fh.read(2) == b"\x1f\x8b"  # gzip members end on their own: no resync
    fh.seek(start)
    records = _CheckedIterator(fh)
    file_uri = path.resolve().as_uri()
    try:
        for record in records:
            offset = records.offset
            if on_progress is not None:
                on_progress(fh.tell())
            item = _page(record, path, max_bytes, since, until, offset)
            problem = _length_problem(records, record)
            if problem is None:
                if item is not None:
                    yield item
                continue
            # A record whose length is wrong is not its page: reported, never loaded.
            detail = f"{path.name}: the record at offset {offset} declares {record.length} bytes; "
            yield Rejection(f"{file_uri}#offset={offset}", "bad_warc", detail + problem)
            if not compressed:
                return _next_record_start(fh, offset + 1)
    except (
        ArchiveLoadFailed,
        StatusAndHeadersParserException,
        OSError,
        ValueError,
        EOFError,
    ) as exc:
        yield Rejection(file_uri, "bad_warc", f"{path.name}: {exc}")
    else:
        # A cut inside a record's headers ends warcio's reading as if the file ended there.
        left_over = not compressed and _has_data_after(fh, records.offset)
        if records.damaged or left_over:
            detail = f"{path.name}: truncated or damaged after {records.offset} bytes"
            yield Rejection(file_uri, "bad_warc", detail)
    return None


def _has_data_after(fh: BinaryIO, offset: int) -> bool:
    fh.seek(offset)
    while chunk := fh.read(1 << 16):
        if chunk.strip():
            return True
    return False


def _length_problem(records: _CheckedIterator, record: Any) -> str | None:
    """What is wrong with the record's Content-Length, if anything: the block ends before it
    (the file is cut short, or the length is impossible), or no record separator follows it
    (the length is wrong, and what it covers runs into the next record). Reads the record to
    its end, as warcio would before the next one."""
    stream = record.raw_stream
    while stream.read(1 << 20):
        pass
    if record.format.startswith("warc") and not record.rec_headers.get_header("Content-Length"):
        return "no Content-Length: its headers are cut short"
    if getattr(stream, "limit", 0):
        return "the file ends before"
    errors = records.err_count
    records.read_to_end()
    if records.err_count > errors:
        return "its block does not end there"
    return None


_RECORD_START = b"\nWARC/1."


def _next_record_start(fh: BinaryIO, after: int) -> int | None:
    """The offset of the next line that starts a WARC record, after `after`."""
    fh.seek(after)
    position, tail = after, b""
    while chunk := fh.read(1 << 20):
        found = (tail + chunk).find(_RECORD_START)
        if found >= 0:
            return position - len(tail) + found + 1
        tail = chunk[-len(_RECORD_START) :]
        position += len(chunk)
    return None


def _page(
    record: Any,
    path: Path,
    max_bytes: int,
    since: datetime | None,
    until: datetime | None,
    offset: int,
) -> RawInput | Rejection | None:
    rec_type = getattr(record, "rec_type", None)
    if rec_type not in ("response", "resource"):
        return None
    headers = record.rec_headers
    http = record.http_headers
    if not headers.get_header("WARC-Target-URI"):
        return Rejection(
            f"{path.resolve().as_uri()}#offset={offset}", "bad_warc",
            f"{path.name}: the {rec_type} record at offset {offset} has no WARC-Target-URI",
        )  # fmt: skip
    if rec_type == "response":
        if http is None or http.get_statuscode() != "200":
            return None
        content_type = media_type(http.get_header("Content-Type"))
    else:
        content_type = media_type(headers.get_header("Content-Type"))
    if content_type is None or not is_page_type(content_type):
        return None
    when = _warc_date(headers.get_header("WARC-Date"))
    if when is not None and ((since and when < since) or (until and when >= until)):
        return None
    target = headers.get_header("WARC-Target-URI") or ""
    try:
        uri = canonical_url(target)
    except FetchError as exc:
        record_id = headers.get_header("WARC-Record-ID") or "?"
        return Rejection(f"{path.resolve().as_uri()}#{record_id}", exc.reason, exc.detail)
    body = record.content_stream().read(max_bytes + 1)
    sha = hashlib.sha256(body).hexdigest()
    if len(body) > max_bytes:
        return Rejection(uri, "too_large", f"WARC record over {max_bytes} bytes", sha)
    return RawInput(uri, body, sha, content_type)
