"""From bytes to an article: decoding, HTML extraction with trafilatura, then the cleaner.

HTML and plain text share one path after this module: both become a list of paragraphs plus
whatever metadata the input carried, and pipeline.clean takes it from there.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pipeline.clean import Paragraph, clean_paragraphs, split_text
from pipeline.clean.site import line_key, site_of
from pipeline.clean.text import comparable, words
from pipeline.html_metadata import declared_body, metadata_from_page, parse_page, standfirst
from pipeline.metadata import detect_language
from pipeline.models import Article, ArticleMetadata, InputError, RawInput

_HTML_SNIFF = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|article|div|p)\b", re.I)
MIN_BODY_CHARS = 80
# A declared body this long that the extracted text barely contains means the extractor
# took another block (see with_declared_body).
DECLARED_BODY_MIN_WORDS = 150
DECLARED_BODY_SEEN_SHARE = 0.1
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


def _check_is_text(text: str) -> None:
    if not text:
        raise InputError("empty", "the input has no content")
    sample = text[:4096]
    controls = len(_CONTROL_CHARACTER.findall(sample))
    if controls > BINARY_CONTROL_SHARE * len(sample):
        raise InputError("binary", f"{controls} control characters in the first {len(sample)}")


_LEAF_BLOCKS = {"p": "p", "head": "head", "item": "item", "row": "row", "code": "p"}


def _block_text(element: Any) -> list[str]:
    """The lines of one block; a <lb/> inside it is a line break the page meant."""
    if element.tag == "row":
        cells = (" ".join("".join(cell.itertext()).split()) for cell in element)
        return [" | ".join(cell for cell in cells if cell)]
    parts: list[str] = [element.text or ""]
    for child in element:
        parts.append("\n" if child.tag == "lb" else "".join(child.itertext()))
        parts.append(child.tail or "")
    return [line for line in "".join(parts).split("\n") if line.strip()]


def blocks(container: Any, inherited: str | None = None) -> list[tuple[str, str]]:
    """trafilatura's XML body as (text, kind) paragraphs: kind is p, head, item, row or quote.

    The kinds let the cleaner tell a table row or a heading from prose, which plain text
    output loses.
    """
    found: list[tuple[str, str]] = []
    for element in container:
        kind = _LEAF_BLOCKS.get(element.tag)
        if kind is not None:
            found.extend((line, inherited or kind) for line in _block_text(element))
        elif element.tag != "graphic":
            nested = "quote" if element.tag == "quote" else inherited
            if element.text and element.text.strip():  # a quote or div holding bare text
                found.append((" ".join(element.text.split()), nested or "p"))
            found.extend(blocks(element, nested))
    return found


def html_paragraphs(html: str, url: str | None) -> tuple[list[tuple[str, str]], ArticleMetadata]:
    """Main text blocks and metadata of a page, via trafilatura (and htmldate, which it calls)."""
    import trafilatura
    from trafilatura.settings import Document

    options: dict[str, Any] = {"url": url, "include_comments": False, "include_tables": True}
    try:
        extracted = trafilatura.bare_extraction(html, with_metadata=True, **options)
    except AssertionError:
        # htmldate (called for the date) asserts on some broken trees (lxml drop_tree of a root
        # element); the text may still be there without the metadata pass.
        extracted = trafilatura.bare_extraction(html, with_metadata=False, **options)
    document = extracted if isinstance(extracted, Document) else Document()
    found = blocks(document.body) if document.body is not None and document.text else []
    page = parse_page(html)
    paragraphs = with_standfirst(with_declared_body(found, declared_body(page)), standfirst(page))
    if not paragraphs:
        raise InputError("no_article", "trafilatura found no main text in this page")
    return paragraphs, metadata_from_page(page, url, document.as_dict())


def with_standfirst(paragraphs: list[tuple[str, str]], shown: str | None) -> list[tuple[str, str]]:
    """The standfirst the page shows under its headline, first, when the extractor left it out
    (it usually sits in the header block, outside the article body trafilatura keeps)."""
    if shown is None or comparable(shown) in comparable(" ".join(t for t, _ in paragraphs)):
        return paragraphs
    return [(shown, "lead"), *paragraphs]


def _word_grams(text: str, size: int = 4) -> set[tuple[str, ...]]:
    tokens = words(text.lower())
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def with_declared_body(
    paragraphs: list[tuple[str, str]], declared: str | None
) -> list[tuple[str, str]]:
    """The extracted blocks, with the page's declared article body (JSON-LD articleBody) put
    first when the extractor took another part of the page.

    trafilatura scores the page's blocks by text density; on a page whose visible article is
    built by script, or sits beside a longer rail of teasers, it can return the rail and none
    of the article. The publisher's own articleBody names the article, so when the extracted
    text holds almost none of a substantial declared body, that body is added ahead of it
    (the extracted blocks stay: a live blog's declared body is often just its summary, and
    what the extractor found is then the rest of the page). The cleaner takes it from there.
    """
    if declared is None or len(words(declared)) < DECLARED_BODY_MIN_WORDS:
        return paragraphs
    wanted = _word_grams(declared)
    seen = _word_grams(" ".join(text for text, _ in paragraphs))
    if len(wanted & seen) >= DECLARED_BODY_SEEN_SHARE * len(wanted):
        return paragraphs
    lines = [" ".join(line.split()) for line in declared.splitlines()]
    return [(line, "p") for line in lines if line] + paragraphs


@dataclass
class Extracted:
    """An input's paragraphs and metadata, before cleaning."""

    raw: RawInput
    paragraphs: list[Paragraph]
    metadata: ArticleMetadata

    @property
    def site(self) -> str:
        return site_of(self.metadata.canonical_url, self.raw.source_uri, self.metadata.outlet)


def extract(raw: RawInput) -> Extracted:
    """Decode and extract one input; raises InputError for inputs to quarantine."""
    text = decode(raw.data)
    _check_is_text(text)
    if looks_like_html(raw, text):
        url = raw.source_uri if raw.source_uri.startswith(("http://", "https://")) else None
        html_blocks, metadata = html_paragraphs(text, url)
        return Extracted(raw, list(html_blocks), _named(metadata, raw))
    return Extracted(raw, list(split_text(text)), _named(ArticleMetadata(), raw))


def _named(metadata: ArticleMetadata, raw: RawInput) -> ArticleMetadata:
    """A source configured with an outlet name keeps it over whatever the page calls itself,
    so one outlet is spelled one way across its feed, sitemap and archives."""
    if raw.outlet:
        metadata.outlet = raw.outlet
    return metadata


def build_article(extracted: Extracted, site_boilerplate: Collection[str] = frozenset()) -> Article:
    """Clean extracted paragraphs into an article; raises InputError when no article is left."""
    raw = extracted.raw
    result = clean_paragraphs(extracted.paragraphs, extracted.metadata, site_boilerplate)
    body = result.body
    if len(body) < MIN_BODY_CHARS:
        raise InputError("no_article", f"only {len(body)} characters of text after cleaning")
    result.metadata.language = result.metadata.language or detect_language(body)
    site_lines: dict[str, str] = {}
    for line in result.site_lines:
        key = line_key(line)
        if key is not None:
            site_lines.setdefault(key, line)
    return Article(
        source_uri=raw.source_uri,
        raw_sha256=raw.raw_sha256,
        body=body,
        body_sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        metadata=result.metadata,
        removals=result.removals,
        site=extracted.site,
        site_lines=site_lines,
    )
