"""Metadata of an HTML page: title, authors, publication date, outlet, canonical URL.

Sources are tried in a fixed order of trust, the same for every site (no outlet lists):
structured data first (JSON-LD of the article, <meta> tags, itemprop), then the visible page
(<h1>, bylines, <time>), then trafilatura's own guesses (which come from htmldate), and last the
text patterns of pipeline.text.dates. Dates keep the offset the page states: a story stamped
2023-05-04T22:00-04:00 was published on May 4 where it was written, and converting it to UTC
first would move it to May 5.

This module holds `metadata_from_html` with the title, outlet and canonical-URL rules; the parsed
page is in `page`, the date rules in `dates` and the author rules in `authors`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlparse

from pipeline.extract.metadata.authors import clean_author_names, find_authors, name_key
from pipeline.extract.metadata.dates import parse_timestamp, published_at, updated_at
from pipeline.extract.metadata.page import (
    Page,
    declared_body,
    heading_node,
    node_text,
    parse_page,
    standfirst,
)
from pipeline.models import ArticleMetadata
from pipeline.text.lines import TITLE_SEPARATOR
from pipeline.text.words import words

__all__ = [
    "clean_author_names",
    "declared_body",
    "metadata_from_html",
    "metadata_from_page",
    "name_key",
    "parse_page",
    "parse_timestamp",
    "standfirst",
    "strip_site_suffix",
]

_SECTION_SEPARATOR = re.compile(r"\s+[|:]\s+")


def metadata_from_html(html: str, url: str | None, document: dict[str, Any]) -> ArticleMetadata:
    """Metadata of a page; `document` is trafilatura.bare_extraction(...).as_dict() for it."""
    return metadata_from_page(parse_page(html), url, document)


def metadata_from_page(page: Page, url: str | None, document: dict[str, Any]) -> ArticleMetadata:
    outlet = _outlet(page, document, url)
    canonical = _canonical_url(page, document, url)
    published, guessed = published_at(page, document)
    return ArticleMetadata(
        title=_title(page, document, outlet),
        authors=find_authors(page, document, outlet),
        published_at=published,
        published_guessed=guessed,
        updated_at=updated_at(page, published),
        outlet=outlet,
        canonical_url=canonical,
    )


# --- title -----------------------------------------------------------------------------------


def _title(page: Page, document: dict[str, Any], outlet: str | None) -> str | None:
    """The first <h1> when it agrees with the metadata title, else that title without ' | Site'.

    Headline metadata (og:title, JSON-LD headline) is often a shortened or SEO variant and the
    <title> carries the site name; the <h1> is what readers see. A logo or section <h1> shares
    no words with the metadata title and is skipped.
    """
    meta_titles = [
        *[str(a["headline"]) for a in page.articles if isinstance(a.get("headline"), str)],
        *page.meta.get("og:title", []),
        *page.meta.get("twitter:title", []),
        document.get("title") or "",
    ]
    reference = next((strip_site_suffix(t, outlet) for t in meta_titles if t.strip()), None)
    heading = _first_heading(page)
    if heading and (not reference or _overlap(heading, reference) >= 0.34):
        return heading
    if reference:
        return reference
    titles = page.tree.xpath("//title")
    return strip_site_suffix(node_text(titles[0]), outlet) if titles else None


def _first_heading(page: Page) -> str | None:
    node = heading_node(page)
    if node is None:
        return None
    text = node_text(node)
    parts = [p for p in _SECTION_SEPARATOR.split(text) if p.strip()]
    if len(parts) > 1 and len(parts[0].split()) <= 2:  # 'Opinion | Headline'
        text = text[text.index(parts[1]) :]
    return text


def _overlap(a: str, b: str) -> float:
    words_a, words_b = set(words(a.lower())), set(words(b.lower()))
    if not words_a or not words_b:
        return 0.0
    return len(words_a & words_b) / min(len(words_a), len(words_b))


def strip_site_suffix(title: str, outlet: str | None = None) -> str:
    """'Headline | Site' or 'Site | Headline - Section' -> 'Headline'.

    Tail segments of four words or fewer go (site and section names); a leading segment goes
    only when it is the outlet's name.
    """
    title = " ".join(title.split())
    separators = list(TITLE_SEPARATOR.finditer(title))
    starts = [0, *[m.end() for m in separators]]
    ends = [*[m.start() for m in separators], len(title)]
    outlet_words = set(words((outlet or "").lower()))

    def is_outlet(index: int) -> bool:
        part = set(words(title[starts[index] : ends[index]].lower()))
        return bool(outlet_words) and bool(part) and part <= outlet_words

    first, last = 0, len(starts) - 1
    if last > first and is_outlet(first):
        first += 1
    while last > first and (len(title[starts[last] : ends[last]].split()) <= 4 or is_outlet(last)):
        last -= 1
    return title[starts[first] : ends[last]].strip()


# --- outlet and canonical URL ----------------------------------------------------------------


# A declared outlet name that is a web address: scrapers write "ajc.com:80" or
# "http://ajc.com/" where the page meant ajc.com, and one site would count as two (its
# boilerplate learned apart, its outlet listed twice).
_ADDRESS_NAME = re.compile(r"^(?:https?://)?([\w-]+(?:\.[\w-]+)+)(?::\d{1,5})?/?$")


def _outlet(page: Page, document: dict[str, Any], url: str | None) -> str | None:
    for name in [*page.meta.get("og:site_name", []), *page.publishers, document.get("sitename")]:
        if name and str(name).strip():
            named = " ".join(str(name).split())
            address = _ADDRESS_NAME.match(named)
            return address.group(1) if address else named
    host = urlparse(_canonical_url(page, document, url) or "").hostname
    return host.removeprefix("www.") if host else None


def _canonical_url(page: Page, document: dict[str, Any], url: str | None) -> str | None:
    links = page.tree.xpath("//link[@rel='canonical']/@href")
    for candidate in [*links, *page.meta.get("og:url", []), document.get("url"), url]:
        if candidate and str(candidate).strip():
            absolute = urljoin(url or "", str(candidate).strip())
            if absolute.startswith(("http://", "https://")):
                return absolute
    return None
