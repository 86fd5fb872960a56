"""The publication and modification dates of a page, and the stamp parsing behind them.

`published_at` tries structured data (JSON-LD datePublished, date <meta> tags, itemprop,
<time pubdate>), then <time> elements, the dateline under the headline and trafilatura's guess.
A stamp keeps the offset the page states; a UTC stamp is moved to the page's local offset when
the page also writes the same moment in local time. `parse_timestamp` is the public stamp parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pipeline.extract.metadata.page import ISO_DATE, Page, as_list, heading_node, node_text
from pipeline.text.dates import find_written_dates

# <meta> names/properties carrying the publication date, most specific first.
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "cxenseparse:recs:publishtime",
    "cxenseparse:publishtime",
    "article_date_original",
    "publication_date",
    "publicationdate",
    "publisheddate",
    "published_at",
    "pub_date",
    "pubdate",
    "publishdate",
    "publish-date",
    "iso-8601-publish-date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "datecreated",
    "date",
)
# <meta> names/properties carrying the page's own modification date.
_MODIFIED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "article:modified",
)
_MAX_OFFSET = timedelta(hours=14)
_OFFSET_STEP = timedelta(minutes=15)
_DATELINE_WINDOW = 400  # characters after the headline where a dateline may stand


def published_at(page: Page, document: dict[str, Any]) -> tuple[datetime | None, bool]:
    """Publication time: structured data first, then <time>, the dateline, htmldate's guess;
    and whether it is only that guess (a year quoted in the text may be all it found).

    The structured stamp is kept in the offset it states. When it is in UTC and the page also
    writes the same moment in local time (a stamp with an offset, or a clock time differing by
    whole quarter hours), the local rendering is used, so the day is the page's own day.
    """
    structured = [st for st in map(_parse_stamp, _structured_dates(page)) if st]
    times = [st for st in map(_parse_stamp, _time_elements(page)) if st]
    visible = find_written_dates(_text_near_heading(page))  # evidence of the local day only
    if structured:
        first, timed = structured[0]
        if timed and first.tzinfo is not None and first.utcoffset() == timedelta(0):
            local = _local_rendering(first, [*structured[1:], *times, *visible])
            if local is not None:
                return local, False
        return _aware(first), False
    dateline = find_written_dates(_text_near_heading(page, after=_DATELINE_WINDOW))[:1]
    byline = [st for st in map(_parse_stamp, _byline_dates(page)) if st][:1]
    stated = next((_aware(st[0]) for st in [*times[:1], *dateline, *byline] if st), None)
    if stated is not None:
        return stated, False
    guess = _parse_stamp(str(document.get("date") or ""))
    return (_aware(guess[0]), True) if guess else (None, False)


def updated_at(page: Page, published: datetime | None) -> datetime | None:
    """When the page says it was last modified, from structured data only (a modification
    date written in the text is too often another story's). None when it states none, or one
    before the publication date (a template's default)."""
    stamps = [
        *(str(v) for article in page.articles for v in as_list(article.get("dateModified"))),
        *(value for key in _MODIFIED_META for value in page.meta.get(key, [])),
        *(
            node.get("content") or node.get("datetime") or node_text(node)
            for node in page.tree.xpath("//*[@itemprop='dateModified']")
        ),
        *(str(v) for obj in page.pages for v in as_list(obj.get("dateModified"))),
    ]
    found = next((_aware(st[0]) for st in map(_parse_stamp, stamps) if st and st[1]), None)
    if found is None or (published is not None and found < _aware(published)):
        return None
    return found


def _structured_dates(page: Page) -> Iterator[str]:
    for article in page.articles:
        yield from (str(v) for v in as_list(article.get("datePublished")))
    for key in _DATE_META:
        yield from page.meta.get(key, [])
    for node in page.tree.xpath("//*[@itemprop='datePublished']"):
        yield node.get("content") or node.get("datetime") or node_text(node)
    for obj in page.pages:
        yield from (str(v) for v in as_list(obj.get("datePublished")))
    for node in page.tree.xpath("//time[@pubdate]"):
        yield node.get("datetime") or node_text(node)


def _time_elements(page: Page) -> Iterator[str]:
    for node in page.tree.iter("time"):
        stamp = node.get("datetime") or ""
        yield stamp if ISO_DATE.search(stamp) else node_text(node)


_BYLINE_BOX = "contains(translate(@class, 'AUTHORBYLINE', 'authorbyline'), '%s')"
_DATE_CLASS = "contains(translate(@class, 'DATE', 'date'), 'date')"


def _byline_dates(page: Page) -> Iterator[str]:
    """A date element inside the author box ('By X <span class="author__date">...'): the
    story's own date, where htmldate's page-wide guess may take a date quoted in the text."""
    boxes = " or ".join(_BYLINE_BOX % word for word in ("author", "byline"))
    query = f"//*[{_DATE_CLASS}][ancestor-or-self::*[position() <= 3][{boxes}]]"
    for node in page.tree.xpath(query):
        yield node.get("datetime") or node_text(node)


def _text_near_heading(page: Page, before: int = 300, after: int = 1500) -> str:
    """Visible text around the headline, where datelines ('Published 8:00 PM EST, ...') sit."""
    heading = heading_node(page)
    if heading is None:
        return ""
    visible = "[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"
    head_text: list[str] = []
    for text in reversed(heading.xpath("preceding::text()" + visible)):
        head_text.insert(0, str(text))
        if sum(map(len, head_text)) > before:
            break
    tail_text: list[str] = []
    for text in heading.xpath("following::text()" + visible):
        tail_text.append(str(text))
        if sum(map(len, tail_text)) > after:
            break
    return " ".join(" ".join([*head_text, node_text(heading), *tail_text]).split())


def _local_rendering(utc: datetime, candidates: list[tuple[datetime, bool]]) -> datetime | None:
    """`utc` in the offset of another candidate that writes the same moment in local time."""
    for moment, timed in candidates:
        if not timed:
            continue
        if moment.tzinfo is not None:
            offset = moment.utcoffset()
            if offset and abs(moment - utc) < timedelta(minutes=1):
                return utc.astimezone(timezone(offset))
            continue
        naive_utc = utc.replace(tzinfo=None, second=0, microsecond=0)
        diff = moment.replace(second=0, microsecond=0) - naive_utc
        same_seconds = moment.second in (0, utc.second)
        if diff and abs(diff) <= _MAX_OFFSET and not diff % _OFFSET_STEP and same_seconds:
            return utc.astimezone(timezone(diff))
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_stamp(value: str) -> tuple[datetime, bool] | None:
    """(datetime, has a clock time); naive when the value states no offset."""
    value = value.strip()
    if re.fullmatch(r"\d{10}(?:\d{3})?", value):  # epoch seconds or milliseconds
        return datetime.fromtimestamp(int(value[:10]), tz=UTC), True
    match = ISO_DATE.search(value)
    if match:
        clock, tz = match.group("time"), match.group("tz")
        stamp = match.group("date") + (f"T{clock}" if clock else "")
        if tz and clock:
            stamp += "+00:00" if tz.upper() == "Z" else tz
        try:
            return datetime.fromisoformat(stamp.replace(",", ".")), bool(clock)
        except ValueError:
            return None
    written = find_written_dates(value) if len(value) < 80 else []
    return written[0] if written else None


def parse_timestamp(value: str) -> datetime | None:
    """An ISO 8601 stamp or a written date; aware, keeping its own offset (UTC when it has none)."""
    parsed = _parse_stamp(value)
    return _aware(parsed[0]) if parsed else None
