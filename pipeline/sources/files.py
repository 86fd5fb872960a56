"""Finding inputs and reading their bytes: local files and folders (plain or gzip-compressed)."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from pathlib import Path

from pipeline.models import InputError, RawInput

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm")
GZIP_SUFFIX = ".gz"
_CHUNK = 1 << 16


def is_supported(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(GZIP_SUFFIX):
        name = name[: -len(GZIP_SUFFIX)]
    return name.endswith(SUPPORTED_SUFFIXES)


def discover_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into a sorted, de-duplicated list of supported input files.

    Hidden files and folders (editor swap files, .git) are skipped; a path that does not exist
    raises FileNotFoundError, since it is a mistake of the caller and not a bad input.
    """
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {raw}")
        if path.is_file():
            found.add(path)
            continue
        for child in path.rglob("*"):
            relative = child.relative_to(path)
            if any(part.startswith(".") for part in relative.parts):
                continue
            if child.is_file() and is_supported(child):
                found.add(child)
    return sorted(found)


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
    """Read one input file; raises InputError for inputs that must be quarantined."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError("too_large", f"{size} bytes, limit {max_bytes}")
    data = path.read_bytes()
    raw_sha256 = hashlib.sha256(data).hexdigest()
    if path.name.lower().endswith(GZIP_SUFFIX) or data[:2] == b"\x1f\x8b":
        try:
            data = decompress_gzip(data, max_bytes)
        except InputError as exc:
            raise InputError(exc.reason, exc.detail, raw_sha256) from exc
    return RawInput(source_uri_for(path), data, raw_sha256, content_type_for(path.name))
