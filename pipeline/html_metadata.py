"""Metadata of an HTML page: title, authors, publication date, outlet, canonical URL.

Sources are tried in a fixed order of trust, the same for every site (no outlet lists):
structured data first (JSON-LD of the article, <meta> tags, itemprop), then the visible page
(<h1>, bylines, <time>), then trafilatura's own guesses (which come from htmldate), and last the
text patterns of pipeline.metadata. Dates keep the offset the page states: a story stamped
2023-05-04T22:00-04:00 was published on May 4 where it was written, and converting it to UTC
first would move it to May 5.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlparse

from lxml import html as lxml_html

from pipeline.metadata import find_written_dates
from pipeline.models import ArticleMetadata

_ARTICLE_TYPE = re.compile(r"article|posting|report|creativework|review", re.I)
_PAGE_TYPE = re.compile(r"webpage", re.I)
_ORG_TYPE = re.compile(r"organi[sz]ation|corporation|brand|website", re.I)

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
_AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "cxenseparse:author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "byline",
)
_ISO_DATE = re.compile(
    r"(?P<date>(?:19|20)\d\d-[01]\d-[0-3]\d)"
    r"(?:[T ](?P<time>\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)\s*(?P<tz>Z|[+-]\d\d:?\d\d)?)?",
    re.I,
)
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|–—:»·-]|::)\s+")
_SECTION_SEPARATOR = re.compile(r"\s+[|:]\s+")
_WORDS = re.compile(r"\w+")

# Words that make a byline an organisation, a desk or a credit rather than a person.
_ORGANISATION = re.compile(
    r"\b(?:staff|news|newsroom|press|media|company|inc|ltd|llc|group|associated|agency|agencies|"
    r"desk|team|editors?|editorial|redazione|redaccion|wire|network|magazine|times|journal|"
    r"gazette|telegraph|telegram|tribune|herald|post|daily|weekly|reports?|reporters?|"
    r"correspondents?|contributors?|bureau|online|digital|tv|radio|com|www|https?|published|"
    r"updated|view|posts?|more|link|copied|share|follow|email|twitter|facebook)\b",
    re.I,
)
_BYLINE_PREFIX = re.compile(
    r"^(?:(?:view\s+all\s+)?(?:posts|articles|stories)\s+by|more\s+by|written\s+by|words\s+by|"
    r"reported\s+by|reporting\s+by|by)\s*:?\s+",
    re.I,
)
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\||&|\band\b|\bund\b|\bet\b)\s*", re.I)
_NAME_SUFFIX = re.compile(r"(?:jr|sr|ii|iii|iv|phd|md)\.?", re.I)
_DIGIT_OR_SYMBOL = re.compile(r"[\d@/#:=?<>{}\[\]]")
_BYLINE_XPATH = (
    "//*[@rel='author' or @itemprop='author'"
    " or contains(concat(' ', normalize-space(@class), ' '), ' byline ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' author ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' authors ')"
    " or contains(@class, 'author-name') or contains(@class, 'byline__name')"
    " or contains(@class, '__author ')"
    " or substring(@class, string-length(@class) - 7) = '__author']"
    " | //a[contains(@href, '/author/') or contains(@href, '/authors/')"
    " or contains(@href, '/staff/') or contains(@href, '/writer/')"
    " or contains(@href, '/contributor/') or contains(@href, '/contributors/')]"
)
_TRAILING_ORGANISATION = re.compile(r"\s+(?=the\s)", re.I)
MAX_AUTHOR_WORDS = 5
_MAX_OFFSET = timedelta(hours=14)
_OFFSET_STEP = timedelta(minutes=15)
_DATELINE_WINDOW = 400  # characters after the headline where a dateline may stand


@dataclass
class _Page:
    """The parsed parts of a page that the metadata rules read."""

    tree: Any
    meta: dict[str, list[str]] = field(default_factory=dict)
    articles: list[dict[str, Any]] = field(default_factory=list)  # JSON-LD articles
    pages: list[dict[str, Any]] = field(default_factory=list)  # JSON-LD WebPage objects
    publishers: list[str] = field(default_factory=list)  # organisation names (JSON-LD)


def metadata_from_html(html: str, url: str | None, document: dict[str, Any]) -> ArticleMetadata:
    """Metadata of a page; `document` is trafilatura.bare_extraction(...).as_dict() for it."""
    page = _parse(html)
    outlet = _outlet(page, document, url)
    canonical = _canonical_url(page, document, url)
    return ArticleMetadata(
        title=_title(page, document, outlet),
        authors=_authors(page, document, outlet),
        published_at=_published_at(page, document),
        outlet=outlet,
        canonical_url=canonical,
    )


# --- parsing ---------------------------------------------------------------------------------


def _parse(html: str) -> _Page:
    try:
        tree = lxml_html.fromstring(html)
    except ValueError:  # a str with an XML encoding declaration
        tree = lxml_html.fromstring(html.encode("utf-8"))
    except Exception:  # lxml raises ParserError on empty documents
        tree = lxml_html.fromstring("<html></html>")
    page = _Page(tree)
    for node in tree.iter("meta"):
        key = node.get("property") or node.get("name") or node.get("itemprop") or ""
        content = (node.get("content") or "").strip()
        if key and content:
            page.meta.setdefault(key.strip().lower(), []).append(content)
    for script in tree.xpath("//script[@type='application/ld+json']"):
        for obj in _walk_json(_load_json(script.text_content())):
            kind = " ".join(_as_list(obj.get("@type")))
            if _ARTICLE_TYPE.search(kind):
                page.articles.append(obj)
            elif _PAGE_TYPE.search(kind):
                page.pages.append(obj)
            elif _ORG_TYPE.search(kind) and isinstance(obj.get("name"), str):
                page.publishers.append(obj["name"])
    return page


def _load_json(text: str) -> Any:
    text = text.strip().removeprefix("<![CDATA[").removesuffix("]]>").strip().rstrip(";")
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return None


def _walk_json(obj: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside a JSON-LD value (@graph, lists, nested mainEntity)."""
    if isinstance(obj, dict):
        yield obj
        for value in obj.values():
            if isinstance(value, dict | list):
                yield from _walk_json(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _walk_json(item)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(node: Any) -> str:
    return " ".join(str(node.text_content()).split())


# --- title -----------------------------------------------------------------------------------


def _title(page: _Page, document: dict[str, Any], outlet: str | None) -> str | None:
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
    return strip_site_suffix(_text(titles[0]), outlet) if titles else None


def _heading_node(page: _Page) -> Any:
    """The first <h1> of two words or more (a one-word <h1> is usually a logo)."""
    return next((node for node in page.tree.iter("h1") if len(_text(node).split()) >= 2), None)


def _first_heading(page: _Page) -> str | None:
    node = _heading_node(page)
    if node is None:
        return None
    text = _text(node)
    parts = [p for p in _SECTION_SEPARATOR.split(text) if p.strip()]
    if len(parts) > 1 and len(parts[0].split()) <= 2:  # 'Opinion | Headline'
        text = text[text.index(parts[1]) :]
    return text


def _overlap(a: str, b: str) -> float:
    words_a, words_b = set(_WORDS.findall(a.lower())), set(_WORDS.findall(b.lower()))
    if not words_a or not words_b:
        return 0.0
    return len(words_a & words_b) / min(len(words_a), len(words_b))


def strip_site_suffix(title: str, outlet: str | None = None) -> str:
    """'Headline | Site' or 'Site | Headline - Section' -> 'Headline'.

    Tail segments of four words or fewer go (site and section names); a leading segment goes
    only when it is the outlet's name.
    """
    title = " ".join(title.split())
    separators = list(_TITLE_SEPARATOR.finditer(title))
    starts = [0, *[m.end() for m in separators]]
    ends = [*[m.start() for m in separators], len(title)]
    outlet_words = set(_WORDS.findall((outlet or "").lower()))

    def is_outlet(index: int) -> bool:
        words = set(_WORDS.findall(title[starts[index] : ends[index]].lower()))
        return bool(outlet_words) and bool(words) and words <= outlet_words

    first, last = 0, len(starts) - 1
    if last > first and is_outlet(first):
        first += 1
    while last > first and (len(title[starts[last] : ends[last]].split()) <= 4 or is_outlet(last)):
        last -= 1
    return title[starts[first] : ends[last]].strip()


# --- date ------------------------------------------------------------------------------------


def _published_at(page: _Page, document: dict[str, Any]) -> datetime | None:
    """Publication time: structured data first, then <time>, the dateline, htmldate's guess.

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
                return local
        return _aware(first)
    dateline = find_written_dates(_text_near_heading(page, after=_DATELINE_WINDOW))[:1]
    fallback = [*times[:1], *dateline, _parse_stamp(str(document.get("date") or ""))]
    return next((_aware(st[0]) for st in fallback if st), None)


def _structured_dates(page: _Page) -> Iterator[str]:
    for article in page.articles:
        yield from (str(v) for v in _as_list(article.get("datePublished")))
    for key in _DATE_META:
        yield from page.meta.get(key, [])
    for node in page.tree.xpath("//*[@itemprop='datePublished']"):
        yield node.get("content") or node.get("datetime") or _text(node)
    for obj in page.pages:
        yield from (str(v) for v in _as_list(obj.get("datePublished")))
    for node in page.tree.xpath("//time[@pubdate]"):
        yield node.get("datetime") or _text(node)


def _time_elements(page: _Page) -> Iterator[str]:
    for node in page.tree.iter("time"):
        stamp = node.get("datetime") or ""
        yield stamp if _ISO_DATE.search(stamp) else _text(node)


def _text_near_heading(page: _Page, before: int = 300, after: int = 1500) -> str:
    """Visible text around the headline, where datelines ('Published 8:00 PM EST, ...') sit."""
    heading = _heading_node(page)
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
    return " ".join(" ".join([*head_text, _text(heading), *tail_text]).split())


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
    match = _ISO_DATE.search(value)
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


# --- authors ---------------------------------------------------------------------------------


def _authors(page: _Page, document: dict[str, Any], outlet: str | None) -> list[str]:
    """Person names from the first source that has any: JSON-LD, <meta>, trafilatura, byline.

    A later source that names the same people and more (a full byline where the JSON-LD lists
    only the first author) replaces it.
    """
    excluded = [outlet or "", *page.publishers, *page.meta.get("og:site_name", [])]
    excluded_keys = {name_key(x) for x in excluded if name_key(x)}
    best: list[str] = []
    for raw, may_extend in _author_candidates(page, document):
        names = clean_author_names(raw, excluded_keys)
        completes = may_extend and {name_key(n) for n in names} > {name_key(n) for n in best}
        if names and (not best or completes):
            best = names
    return best


def _author_candidates(page: _Page, document: dict[str, Any]) -> Iterator[tuple[list[str], bool]]:
    """Raw author strings per source, and whether the source may complete an earlier one.

    trafilatura's author joins every source it found (publisher included), so it only serves
    when nothing else names anyone.
    """
    for article in page.articles:
        names = []
        for author in _as_list(article.get("author")):
            if isinstance(author, str):
                names.append(author)
            elif isinstance(author, dict):
                kind = " ".join(_as_list(author.get("@type")))
                if not _ORG_TYPE.search(kind) and isinstance(author.get("name"), str):
                    names.append(author["name"])
        yield names, True
    for key in _AUTHOR_META:
        yield page.meta.get(key, []), True
    if document.get("author"):
        yield [str(document["author"])], False
    yield _visible_byline(page), True


def _visible_byline(page: _Page) -> list[str]:
    """The first byline element (author class, rel/itemprop author, author page link) naming
    someone, preferring those after the headline over teasers above it."""
    nodes = page.tree.xpath(_BYLINE_XPATH)
    heading = _heading_node(page)
    if heading is not None:
        order = {node: index for index, node in enumerate(page.tree.iter())}
        start = order.get(heading, 0)
        nodes = sorted(nodes, key=lambda node: order.get(node, 0) < start)
    for node in nodes:
        text = " ".join(" ".join(node.itertext()).split())  # '<span>By</span>Ann' -> 'By Ann'
        if text and clean_author_names([text]):
            return [text]
    return []


def clean_author_names(raw_names: list[str], excluded_keys: set[str] | None = None) -> list[str]:
    """Split 'A, B and C' strings into names; drop organisations, site names, URLs and dates."""
    excluded_keys = excluded_keys or set()
    names: list[str] = []
    for raw in raw_names:
        for part in _AUTHOR_SPLIT.split(unicodedata.normalize("NFC", raw)):
            name = _BYLINE_PREFIX.sub("", " ".join(part.split())).strip(" .-–—:")
            head, _, tail = _TRAILING_ORGANISATION.sub("\n", name, count=1).partition("\n")
            if tail and _ORGANISATION.search(name_key(tail)):  # 'Ann Lee The Associated Press'
                name = head
            key = name_key(name)
            if _NAME_SUFFIX.fullmatch(name) and names:
                names[-1] = f"{names[-1]}, {name}"
                continue
            if not key or not _is_person(name, key, excluded_keys):
                continue
            if key not in {name_key(n) for n in names}:
                names.append(name)
    return names


def _is_person(name: str, key: str, excluded_keys: set[str]) -> bool:
    words = key.split()
    if not 1 <= len(words) <= MAX_AUTHOR_WORDS or len(name) > 60:
        return False
    if _DIGIT_OR_SYMBOL.search(name) or _ORGANISATION.search(key):
        return False
    if len(words) == 1 and (not name[:1].isupper() or name.isupper()):  # 'staff', 'WBEZ'
        return False
    compact = key.replace(" ", "")
    return not any(
        key == ex or compact == ex.replace(" ", "") or (len(ex) > 3 and (ex in key or key in ex))
        for ex in excluded_keys
    )


def name_key(name: str) -> str:
    """Casefolded words, no accents or punctuation: 'L. Daniela Álvarez' -> 'l daniela alvarez'."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORDS.findall(plain.casefold()))


# --- outlet and canonical URL ----------------------------------------------------------------


def _outlet(page: _Page, document: dict[str, Any], url: str | None) -> str | None:
    for name in [*page.meta.get("og:site_name", []), *page.publishers, document.get("sitename")]:
        if name and str(name).strip():
            return " ".join(str(name).split())
    host = urlparse(_canonical_url(page, document, url) or "").hostname
    return host.removeprefix("www.") if host else None


def _canonical_url(page: _Page, document: dict[str, Any], url: str | None) -> str | None:
    links = page.tree.xpath("//link[@rel='canonical']/@href")
    for candidate in [*links, *page.meta.get("og:url", []), document.get("url"), url]:
        if candidate and str(candidate).strip():
            absolute = urljoin(url or "", str(candidate).strip())
            if absolute.startswith(("http://", "https://")):
                return absolute
    return None
