"""Finding inputs and reading their bytes: local files and folders (plain or gzip-compressed)."""

from __future__ import annotations

import hashlib
import os
import stat
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.models import InputError, RawInput, Rejection

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm")
GZIP_SUFFIX = ".gz"
_CHUNK = 1 << 16


def is_supported(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(GZIP_SUFFIX):
        name = name[: -len(GZIP_SUFFIX)]
    return name.endswith(SUPPORTED_SUFFIXES)


@dataclass
class Found:
    """What a walk of inbox folders found."""

    inputs: list[Path] = field(default_factory=list)  # regular files, once each, by real path
    skipped: list[Rejection] = field(default_factory=list)  # there, but never an input: why
    waiting: list[Path] = field(default_factory=list)  # written to just now: for the next run


def discover_files(
    paths: Iterable[str | Path],
    *,
    wanted: Callable[[Path], bool] | None = None,
    follow_links_out: bool = False,
    settle_seconds: float = 0.0,
) -> Found:
    """Expand files and folders into the input files they hold (`wanted` names: by default the
    supported suffixes), sorted, each file once however many names it has.

    A folder is an inbox: hidden files and folders (editor swap files, .git) are not looked at;
    a symbolic link leading out of it is skipped unless `follow_links_out` (a link to
    /proc/self/environ must not load the worker's secrets as an article), as are dangling links
    and what is not a regular file (a FIFO would block the reader, a device never end). A file
    modified less than `settle_seconds` ago is still being written: it waits for the next run.
    A path given that does not exist raises FileNotFoundError: a mistake of the caller, not a
    bad input.
    """
    wanted = wanted or is_supported
    found = Found()
    seen: set[Path] = set()
    now = time.time()
    for raw in paths:
        given = Path(raw).expanduser().absolute()
        if not os.path.lexists(given):
            raise FileNotFoundError(f"no such file or folder: {raw}")
        if given.is_dir():
            root = given.resolve()
            checked = [
                _inbox_entry(entry, root, follow_links_out)
                for entry in _walk(root, follow_links_out)
                if wanted(entry)
            ]
        else:  # named by the caller: followed wherever it leads
            checked = [_inbox_entry(given, None, True)]
        for item in checked:
            if isinstance(item, Rejection):
                found.skipped.append(item)
            elif item not in seen:
                seen.add(item)
                fresh = settle_seconds > 0 and now - item.stat().st_mtime < settle_seconds
                (found.waiting if fresh else found.inputs).append(item)
    found.inputs.sort()
    return found


def _walk(root: Path, follow_links: bool) -> Iterator[Path]:
    """Every non-hidden file name under root (links to folders descended only if
    `follow_links`, each real folder once, so that a link loop ends)."""
    visited: set[Path] = set()
    for folder, dirs, files in os.walk(root, followlinks=follow_links):
        real = Path(folder).resolve()
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        for name in sorted(files):
            if not name.startswith("."):
                yield here / name


def _inbox_entry(entry: Path, root: Path | None, follow_links_out: bool) -> Path | Rejection:
    """The real path of the regular file `entry` names, or why it is skipped."""
    uri = entry.as_uri()
    try:
        target = entry.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        return Rejection(uri, "dangling_link", f"{entry} leads nowhere: {exc}")
    if root is not None and not follow_links_out and not target.is_relative_to(root):
        return Rejection(
            uri, "link_outside_inbox",
            f"{entry} links to {target}, outside {root} (follow_links_out is off)",
        )  # fmt: skip
    mode = target.stat().st_mode
    if not stat.S_ISREG(mode):
        return Rejection(uri, "not_a_regular_file", f"{entry} is {_file_kind(mode)}")
    return target


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
    ):  # fmt: skip
        if test(mode):
            return kind
    return "not a regular file"


def source_uri_for(path: Path) -> str:
    return path.resolve().as_uri()


def content_type_for(name: str) -> str | None:
    lowered = name.lower().removesuffix(GZIP_SUFFIX)
    if lowered.endswith((".html", ".htm")):
        return "text/html"
    if lowered.endswith(".txt"):
        return "text/plain"
    return None


def decompress_gzip(data: bytes, max_bytes: int) -> bytes:
    """Inflate gzip data, refusing anything that would grow past max_bytes (gzip bombs)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = bytearray()
    try:
        view = memoryview(data)
        for start in range(0, len(data), _CHUNK):
            out += inflater.decompress(view[start : start + _CHUNK], max_bytes + 1 - len(out))
            if len(out) > max_bytes:
                raise InputError("too_large", f"decompresses to more than {max_bytes} bytes")
        out += inflater.flush()
    except zlib.error as exc:
        raise InputError("bad_gzip", f"invalid gzip data: {exc}") from exc
    if not inflater.eof:
        raise InputError("bad_gzip", "truncated gzip stream")
    if len(out) > max_bytes:
        raise InputError("too_large", f"decompresses to more than {max_bytes} bytes")
    return bytes(out)


def read_file(path: Path, max_bytes: int) -> RawInput:
    """Read one input file; raises InputError for inputs that must be quarantined.

    Opened without blocking and checked to be a regular file before a byte is read (whatever
    discovery saw, the name may now be a FIFO); a file whose size or time changed while it was
    read is still being written and is refused, for the next run to read whole."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise InputError("not_a_regular_file", f"{path} is {_file_kind(before.st_mode)}")
        if before.st_size > max_bytes:
            raise InputError("too_large", f"{before.st_size} bytes, limit {max_bytes}")
        data = fh.read(max_bytes + 1)
        after = os.fstat(fd)
    raw_sha256 = hashlib.sha256(data).hexdigest()
    if len(data) > max_bytes:
        raise InputError("too_large", f"more than {max_bytes} bytes", raw_sha256)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or len(
        data
    ) != after.st_size:
        raise InputError("still_being_written", f"{path} changed while it was read", raw_sha256)
    if path.name.lower().endswith(GZIP_SUFFIX) or data[:2] == b"\x1f\x8b":
        try:
            data = decompress_gzip(data, max_bytes)
        except InputError as exc:
            raise InputError(exc.reason, exc.detail, raw_sha256) from exc
    return RawInput(source_uri_for(path), data, raw_sha256, content_type_for(path.name))
