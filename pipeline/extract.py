"""From bytes to an article: decoding, HTML extraction with trafilatura, then the cleaner.

HTML and plain text share one path after this module: both become a list of paragraphs plus
whatever metadata the input carried, and pipeline.clean takes it from there.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from pipeline.clean import clean_paragraphs, split_text
from pipeline.metadata import detect_language
from pipeline.models import Article, ArticleMetadata, InputError, RawInput

_HTML_SNIFF = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|article|div|p)\b", re.I)
MIN_BODY_CHARS = 80
BINARY_CONTROL_SHARE = 0.1


def decode(data: bytes) -> str:
    """UTF-8 when it is UTF-8; otherwise the encoding charset-normalizer detects."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError("undecodable", "no text encoding fits these bytes (binary data?)")
    return str(best)


def looks_like_html(raw: RawInput, text: str) -> bool:
    if raw.content_type == "text/html":
        return True
    if raw.content_type == "text/plain":
        return False
    return bool(_HTML_SNIFF.search(raw.data[:2048]))


def _check_is_text(text: str) -> None:
    if not text:
        raise InputError("empty", "the input has no content")
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > BINARY_CONTROL_SHARE * len(sample):
        raise InputError("binary", f"{controls} control characters in the first {len(sample)}")


def _parse_iso_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def html_paragraphs(html: str, url: str | None) -> tuple[list[str], ArticleMetadata]:
    """Main text and metadata of a page, via trafilatura (and htmldate, which it calls)."""
    import trafilatura

    extracted = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        output_format="python",
    )
    document: dict[str, Any] = {}
    if extracted is not None:
        document = extracted if isinstance(extracted, dict) else extracted.as_dict()
    if not document.get("text"):
        raise InputError("no_article", "trafilatura found no main text in this page")
    authors = [a.strip() for a in re.split(r";|\|", document.get("author") or "") if a.strip()]
    page_url = document.get("url") or url
    metadata = ArticleMetadata(
        title=document.get("title") or None,
        authors=authors,
        published_at=_parse_iso_date(document.get("date")),
        outlet=document.get("sitename") or urlparse(page_url or "").hostname or None,
        canonical_url=page_url or None,
    )
    return split_text(str(document["text"])), metadata


def build_article(raw: RawInput) -> Article:
    """Run extraction and cleaning on one input; raises InputError for inputs to quarantine."""
    text = decode(raw.data)
    _check_is_text(text)
    if looks_like_html(raw, text):
        url = raw.source_uri if raw.source_uri.startswith(("http://", "https://")) else None
        paragraphs, metadata = html_paragraphs(text, url)
    else:
        paragraphs, metadata = split_text(text), ArticleMetadata()
    result = clean_paragraphs(paragraphs, metadata)
    body = result.body
    if len(body) < MIN_BODY_CHARS:
        raise InputError("no_article", f"only {len(body)} characters of text after cleaning")
    result.metadata.language = result.metadata.language or detect_language(body)
    return Article(
        source_uri=raw.source_uri,
        raw_sha256=raw.raw_sha256,
        body=body,
        body_sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        metadata=result.metadata,
        removals=result.removals,
    )
