"""From bytes to paragraphs: decoding, then HTML extraction with trafilatura or a text dump's lines.

HTML and plain text share one path after this module: both become a list of paragraphs plus
whatever metadata the input carried, and pipeline.clean takes it from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from pipeline.extract.decode import check_is_text, decode, looks_like_html
from pipeline.extract.html import html_paragraphs
from pipeline.models import ArticleMetadata, Paragraph, RawInput


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
    check_is_text(text)
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
