"""From bytes to text: the declared charset, else UTF-8, else charset-normalizer's guess; and
whether the text is a page of HTML or a text dump, or binary junk to refuse."""

from __future__ import annotations

import codecs
import re

from pipeline.models import InputError, RawInput

_HTML_SNIFF = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|article|div|p)\b", re.I)

BINARY_CONTROL_SHARE = 0.1


def decode(data: bytes) -> str:
    """UTF-8 when it is UTF-8; otherwise the encoding charset-normalizer detects."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data)
    if declared is not None:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass  # the page lies about its encoding: detect it instead
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise InputError("undecodable", "no text encoding fits these bytes (binary data?)")
    # Several single-byte code pages decode Western European text almost equally well, and the
    # detector's pick among them (cp1250, cp1257, ...) turns "señor" into "seńor". News in a
    # legacy encoding is windows-1252 far more often (WHATWG even reads latin-1 as it), so it
    # wins when it is about as plausible as the best.
    for match in matches:
        close = match.chaos <= best.chaos + 0.1 and match.coherence >= best.coherence - 0.05
        if match.encoding == "cp1252" and close:
            return str(match)
    return str(best)


_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-z0-9_.:-]{1,40})""", re.I
)


def _declared_charset(data: bytes) -> str | None:
    """The encoding an HTML page declares in a <meta> tag, as a Python codec name."""
    found = _META_CHARSET.search(data[:4096])
    if found is None:
        return None
    try:
        name = codecs.lookup(found.group(1).decode("ascii")).name
    except LookupError:
        return None
    # WHATWG: a page labelled latin-1 or ASCII is decoded as windows-1252.
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def looks_like_html(raw: RawInput, text: str) -> bool:
    if raw.content_type == "text/html":
        return True
    if raw.content_type == "text/plain":
        return False
    return bool(_HTML_SNIFF.search(raw.data[:2048]))


_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # below 32, except \t \n \f \r


def check_is_text(text: str) -> None:
    if not text:
        raise InputError("empty", "the input has no content")
    sample = text[:4096]
    controls = len(_CONTROL_CHARACTER.findall(sample))
    if controls > BINARY_CONTROL_SHARE * len(sample):
        raise InputError("binary", f"{controls} control characters in the first {len(sample)}")
