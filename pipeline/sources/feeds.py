"""RSS/Atom feeds and news sitemaps: the article URLs a listing offers, canonicalised.

Parsing only; fetching the listing (with conditional GET) is pipeline/ingest/crawl.py's job. A
listing that cannot be parsed at all raises FetchError("bad_feed" / "bad_sitemap"); an entry without
a usable link is skipped, since there is nothing to fetch.
"""

from __future__ import annotations

import calendar
import io
import logging
import time
from datetime import UTC, datetime

import feedparser
from lxml import etree

from pipeline.models import InputError
from pipeline.sources.fetch import FetchError, canonical_url
from pipeline.sources.files import decompress_gzip
from pipeline.sources.state import Listed

log = logging.getLogger(__name__)
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed


def _when(parsed: time.struct_time | None) -> datetime | None:
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> list[Listed]:
    """Entries of an RSS or Atom feed, relative links resolved against the feed's URL."""
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # A stream, never the bytes themselves: feedparser opens bytes or a str that name a file
    # as that file, so a feed whose body is "/dev/zero" or a local path would be read from disk.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if parsed.bozo and not parsed.entries:
        raise FetchError("bad_feed", f"{url}: {parsed.get('bozo_exception')}", retryable=False)
    listed: dict[str, Listed] = {}
    for entry in parsed.entries:
        link = entry.get("link") or ""
        try:
            key = canonical_url(link)
        except FetchError:
            log.warning("feed %s: entry %r has no usable link", url, entry.get("id"))
            continue
        published = _when(entry.get("published_parsed") or entry.get("updated_parsed"))
        listed.setdefault(key, Listed(key, entry.get("id") or None, published))
    return list(listed.values())


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_sitemap(body: bytes, url: str) -> tuple[list[Listed], list[str]]:
    """(pages, child sitemaps) of a sitemap or sitemap index, gzip or not.

    News sitemaps' <news:publication_date> is preferred over <lastmod> as the date.
    """
    try:
        if body[:2] == b"\x1f\x8b":
            body = decompress_gzip(body, MAX_SITEMAP_BYTES)
        # No entities, no network: a sitemap is untrusted input.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(body, parser=parser)
    except (InputError, etree.XMLSyntaxError) as exc:
        raise FetchError("bad_sitemap", f"{url}: {exc}", retryable=False) from exc
    if root is None:
        raise FetchError("bad_sitemap", f"{url}: empty document", retryable=False)
    pages: dict[str, Listed] = {}
    children: list[str] = []
    for node in root:
        fields: dict[str, str] = {}
        for child in node.iter():
            name = _local(child.tag)
            if name and child.text and name not in fields:
                fields[name] = child.text.strip()
        loc = fields.get("loc")
        if not loc:
            continue
        try:
            key = canonical_url(loc)
        except FetchError:
            log.warning("sitemap %s: unusable <loc> %r", url, loc)
            continue
        if _local(root.tag) == "sitemapindex":
            children.append(key)
        else:
            when = _date(fields.get("publication_date")) or _date(fields.get("lastmod"))
            pages.setdefault(key, Listed(key, None, when))
    return list(pages.values()), children
