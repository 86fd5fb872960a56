"""From bytes to paragraphs: decoding, then HTML extraction with trafilatura or a text dump's lines.

HTML and plain text share one path after this module: both become a list of paragraphs plus
whatever metadata the input carried, and pipeline.clean takes it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from urllib.parse import urlparse

from pipeline.extract.decode import check_is_text, decode, looks_like_html
from pipeline.extract.html import html_paragraphs
from pipeline.models import ArticleMetadata, Paragraph, RawInput
from pipeline.text.characters import CharacterReport


@dataclass
class Extracted:
    """An input's paragraphs and metadata, before cleaning."""

    raw: RawInput
    paragraphs: list[Paragraph]
    metadata: ArticleMetadata
    repaired: str = ""  # what was replaced or repaired in the text, and where (else empty)
    # the page's JSON-LD blocks that were too large, too deep or malformed to read, and why
    ignored_json_ld: list[str] = field(default_factory=list)

    @property
    def site(self) -> str:
        return site_of(self.metadata.canonical_url, self.raw.source_uri, self.metadata.outlet)


def extract(raw: RawInput) -> Extracted:
    """Decode and extract one input; raises InputError for inputs to quarantine.

    Text enters the pipeline here, from the bytes and from the values a page declares (JSON-LD
    escapes, meta tags), so this is where invalid characters are replaced and mojibake is
    repaired, once for every stage after it (pipeline/text/characters.py)."""
    text = decode(raw.data)
    check_is_text(text)  # on the text as it came: its control characters tell binary data
    report = CharacterReport()
    # Invalid characters go before parsing; mojibake is repaired in what is kept of the page
    # (its paragraphs and metadata, below): ftfy over a whole document with its scripts took
    # most of the extraction time and repairs nothing that is stored.
    text = report.valid_characters(text, "text")
    ignored: list[str] = []
    if looks_like_html(raw, text):
        url = raw.source_uri if raw.source_uri.startswith(("http://", "https://")) else None
        html_blocks, metadata, ignored = html_paragraphs(text, url)
        paragraphs: list[Paragraph] = list(html_blocks)
    else:
        paragraphs, metadata = list(split_text(text)), ArticleMetadata()
    valid = [_valid_paragraph(p, report) for p in paragraphs]
    metadata = _valid_metadata(_named(metadata, raw), report)
    return Extracted(raw, valid, metadata, report.describe() if report else "", ignored)


def _valid_paragraph(paragraph: Paragraph, report: CharacterReport) -> Paragraph:
    if isinstance(paragraph, str):
        return report.valid_text(paragraph, "text")
    return (report.valid_text(paragraph[0], "text"), paragraph[1])


def _valid_metadata(metadata: ArticleMetadata, report: CharacterReport) -> ArticleMetadata:
    for spec in fields(metadata):
        value = getattr(metadata, spec.name)
        if isinstance(value, str):
            setattr(metadata, spec.name, report.valid_text(value, spec.name))
        elif isinstance(value, list):
            setattr(metadata, spec.name, [report.valid_text(v, spec.name) for v in value])
    return metadata


def _named(metadata: ArticleMetadata, raw: RawInput) -> ArticleMetadata:
    """A source configured with an outlet name keeps it over whatever the page calls itself,
    so one outlet is spelled one way across its feed, sitemap and archives."""
    if raw.outlet:
        metadata.outlet = raw.outlet
    return metadata


def site_of(canonical_url: str | None, source_uri: str, outlet: str | None = None) -> str:
    """Which site an article belongs to: the web host when there is one, else the outlet's
    name, else the folder the file came from (an inbox folder is fed by one scraper)."""
    for candidate in (canonical_url, source_uri):
        host = urlparse(candidate or "").hostname
        if host:
            return host.removeprefix("www.")
    if outlet:
        return outlet.casefold()
    return source_uri.rsplit("/", 1)[0]


def split_text(text: str) -> list[str]:
    """A text dump's paragraphs: every non-blank line (dumps put one paragraph per line)."""
    return [line for line in text.splitlines() if line.strip()]
