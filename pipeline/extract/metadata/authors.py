"""The authors of a page, and the cleaning that turns bylines into person names.

`find_authors` takes the names from the first source that has any (JSON-LD, author <meta> tags,
trafilatura, a visible byline element), letting a later source that names the same people and
more replace it. `clean_author_names` splits 'A, B and C' strings and drops organisations, site
names, URLs and dates; `name_key` is the accent- and punctuation-free key names are compared by.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from lxml import etree

from pipeline.extract.metadata.page import ORG_TYPE, Page, as_list, heading_node
from pipeline.text.bylines import BYLINE_LEAD
from pipeline.text.words import words

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

# Words that make a byline an organisation, a desk or a credit rather than a person.
_ORGANISATION = re.compile(
    r"\b(?:staff|news|newsroom|press|media|company|inc|ltd|llc|group|associated|agency|agencies|"
    r"desk|team|editors?|editorial|redazione|redaccion|wire|network|magazine|times|journal|"
    r"gazette|telegraph|telegram|tribune|herald|post|daily|weekly|reports?|reporters?|"
    r"correspondents?|contributors?|bureau|online|digital|tv|radio|com|www|https?|published|"
    r"updated|view|posts?|more|link|copied|share|follow|email|twitter|facebook)\b",
    re.I,
)
_BYLINE_PREFIX = re.compile(rf"^{BYLINE_LEAD}\s*:?\s+", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\||&|\band\b|\bund\b|\bet\b)\s*", re.I)
_NAME_SUFFIX = re.compile(r"(?:jr|sr|ii|iii|iv|phd|md)\.?", re.I)
_DIGIT_OR_SYMBOL = re.compile(r"[\d@/#:=?<>{}\[\]]")
# A byline element: rel or itemprop "author", a class that names a byline or an author, or a
# link to an author's page. libxml2 picks the elements whose attributes merely contain those
# words, and _is_byline applies the exact class tests: done in XPath (normalize-space and
# concat of every element's class, three times) they took most of the byline search's time.
_AUTHOR_PATHS = ("/author/", "/authors/", "/staff/", "/writer/", "/contributor/", "/contributors/")
_BYLINE_CANDIDATES = etree.XPath(
    "//*[@rel='author' or @itemprop='author' or contains(@class, 'author')"
    " or contains(@class, 'byline')]"
    " | //a[" + " or ".join(f"contains(@href, '{path}')" for path in _AUTHOR_PATHS) + "]"
)
_CLASS_WORDS = frozenset({"byline", "author", "authors"})
_CLASS_PARTS = ("author-name", "byline__name", "__author ")
_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space folds
_TRAILING_ORGANISATION = re.compile(r"\s+(?=the\s)", re.I)
MAX_AUTHOR_WORDS = 5


def find_authors(page: Page, document: dict[str, Any], outlet: str | None) -> list[str]:
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


def _author_candidates(page: Page, document: dict[str, Any]) -> Iterator[tuple[list[str], bool]]:
    """Raw author strings per source, and whether the source may complete an earlier one.

    trafilatura's author joins every source it found (publisher included), so it only serves
    when nothing else names anyone.
    """
    for article in page.articles:
        names = []
        for author in as_list(article.get("author")):
            if isinstance(author, str):
                names.append(author)
            elif isinstance(author, dict):
                kind = " ".join(as_list(author.get("@type")))
                if not ORG_TYPE.search(kind) and isinstance(author.get("name"), str):
                    names.append(author["name"])
        yield names, True
    for key in _AUTHOR_META:
        yield page.meta.get(key, []), True
    if document.get("author"):
        yield [str(document["author"])], False
    yield _visible_byline(page), True


def _visible_byline(page: Page) -> list[str]:
    """The first byline element (author class, rel/itemprop author, author page link) naming
    someone, preferring those after the headline over teasers above it."""
    nodes = [node for node in _BYLINE_CANDIDATES(page.tree) if _is_byline(node)]
    heading = heading_node(page)
    if heading is not None:
        order = {node: index for index, node in enumerate(page.tree.iter())}
        start = order.get(heading, 0)
        nodes = sorted(nodes, key=lambda node: order.get(node, 0) < start)
    for node in nodes:
        text = " ".join(" ".join(node.itertext()).split())  # '<span>By</span>Ann' -> 'By Ann'
        if text and clean_author_names([text]):
            return [text]
    return []


def _is_byline(node: Any) -> bool:
    if node.get("rel") == "author" or node.get("itemprop") == "author":
        return True
    classes = node.get("class")
    if classes is not None and (
        not _CLASS_WORDS.isdisjoint(_XML_SPACE.split(classes))
        or any(part in classes for part in _CLASS_PARTS)
        or classes.endswith("__author")
    ):
        return True
    href = node.get("href")
    return node.tag == "a" and href is not None and any(path in href for path in _AUTHOR_PATHS)


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
    return " ".join(words(plain.casefold()))
