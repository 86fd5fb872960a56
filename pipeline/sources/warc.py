"""WARC archives (e.g. CC-NEWS) as inputs: the HTML responses they hold, one RawInput each.

A record's identity is its canonical WARC-Target-URI, as if the page had been fetched live, so
an archived page and the same page fetched or given as a file dedupe as one article. Records
that are not pages (requests, metadata, images, redirects, 404s) are skipped: they were never
articles. A page record that is too large or has no usable URI becomes a Rejection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from pipeline.models import RawInput, Rejection
from pipeline.sources.fetch import FetchError, canonical_url, is_page_type, media_type

WARC_SUFFIXES = (".warc", ".warc.gz")


class _CheckedIterator(ArchiveIterator):  # type: ignore[misc]
    """warcio stops quietly at a gzip stream cut short; note it before the reader is dropped."""

    damaged = False

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


def discover_warcs(paths: Iterable[str | Path]) -> list[Path]:
    """WARC files among the paths, folders searched recursively (hidden entries skipped)."""
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {raw}")
        candidates = [path] if path.is_file() else path.rglob("*")
        for child in candidates:
            hidden = child != path and any(p.startswith(".") for p in child.relative_to(path).parts)
            if child.is_file() and is_warc(child) and not hidden:
                found.add(child)
    return sorted(found)


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

    A file that is not a WARC at all, or is cut off, yields a Rejection for the file (after the
    records read before the damage), rather than failing the whole ingest.
    """
    with path.open("rb") as fh:
        records = _CheckedIterator(fh)
        try:
            for record in records:
                if on_progress is not None:
                    on_progress(fh.tell())
                item = _page(record, path, max_bytes, since, until)
                if item is not None:
                    yield item
        except (ArchiveLoadFailed, OSError, ValueError, EOFError) as exc:
            yield Rejection(path.resolve().as_uri(), "bad_warc", f"{path.name}: {exc}")
        else:
            if records.damaged:
                detail = f"{path.name}: truncated or damaged after {fh.tell()} bytes"
                yield Rejection(path.resolve().as_uri(), "bad_warc", detail)
        if on_progress is not None:
            on_progress(fh.tell())


def _page(
    record: object, path: Path, max_bytes: int, since: datetime | None, until: datetime | None
) -> RawInput | Rejection | None:
    rec_type = getattr(record, "rec_type", None)
    if rec_type not in ("response", "resource"):
        return None
    headers = record.rec_headers  # type: ignore[attr-defined]
    http = record.http_headers  # type: ignore[attr-defined]
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
    body = record.content_stream().read(max_bytes + 1)  # type: ignore[attr-defined]
    sha = hashlib.sha256(body).hexdigest()
    if len(body) > max_bytes:
        return Rejection(uri, "too_large", f"WARC record over {max_bytes} bytes", sha)
    return RawInput(uri, body, sha, content_type)


def unique_uris(items: Iterable[RawInput | Rejection]) -> Iterator[RawInput | Rejection]:
    """Drop repeats of one URI (re-crawls in one archive): one batch must not store a URI twice.

    The first capture wins, as the earliest copy of a page; a later capture with other bytes is
    reported, not silently dropped.
    """
    seen: dict[str, str] = {}
    for item in items:
        previous = seen.get(item.source_uri)
        if previous is None:
            seen[item.source_uri] = item.raw_sha256
            yield item
        elif previous != item.raw_sha256 and isinstance(item, RawInput):
            yield Rejection(
                item.source_uri + "#recapture",
                "recaptured",
                "the archive holds this URI again with other bytes; the first capture is kept",
                item.raw_sha256,
            )
