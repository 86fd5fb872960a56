"""The parsed page that every metadata rule reads, and the helpers they share.

`parse_page` turns HTML into a `Page`: the lxml tree, the <meta> tags by lowercased name, and the
JSON-LD objects sorted into articles, WebPage objects and publisher names. The JSON helpers
(`as_list`), the visible text of a node (`node_text`), the headline node (`heading_node`) and the
regexes the rules share (`ISO_DATE`, `ORG_TYPE`) live here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from lxml import html as lxml_html

from pipeline.text.words import comparable

_ARTICLE_TYPE = re.compile(r"article|posting|report|creativework|review", re.I)
_PAGE_TYPE = re.compile(r"webpage", re.I)
ORG_TYPE = re.compile(r"organi[sz]ation|corporation|brand|website", re.I)
ISO_DATE = re.compile(
    r"(?P<date>(?:19|20)\d\d-[01]\d-[0-3]\d)"
    r"(?:[T ](?P<time>\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)\s*(?P<tz>Z|[+-]\d\d:?\d\d)?)?",
    re.I,
)
STANDFIRST_MIN_WORDS = 8
# JSON-LD past these bounds is ignored, with a note: a page's metadata never costs its text.
# Real JSON-LD is a few kB, tens with an articleBody, and under ten levels deep; a block of
# megabytes or nested thousands deep is junk or an attack (json.loads raises RecursionError).
MAX_JSON_LD_CHARS = 1_000_000
MAX_JSON_LD_DEPTH = 64


@dataclass
class Page:
    """The parsed parts of a page that the metadata rules read."""

    tree: Any
    meta: dict[str, list[str]] = field(default_factory=dict)
    articles: list[dict[str, Any]] = field(default_factory=list)  # JSON-LD articles
    pages: list[dict[str, Any]] = field(default_factory=list)  # JSON-LD WebPage objects
    publishers: list[str] = field(default_factory=list)  # organisation names (JSON-LD)
    # JSON-LD blocks that could not be read, and why (noted on the article, not fatal)
    ignored_json_ld: list[str] = field(default_factory=list)


def parse_page(html: str) -> Page:
    try:
        tree = lxml_html.fromstring(html)
    except ValueError:  # a str with an XML encoding declaration
        tree = lxml_html.fromstring(html.encode("utf-8"))
    except Exception:  # lxml raises ParserError on empty documents
        tree = lxml_html.fromstring("<html></html>")
    page = Page(tree)
    for node in tree.iter("meta"):
        key = node.get("property") or node.get("name") or node.get("itemprop") or ""
        content = (node.get("content") or "").strip()
        if key and content:
            page.meta.setdefault(key.strip().lower(), []).append(content)
    scripts = tree.xpath("//script[@type='application/ld+json']")
    for number, script in enumerate(scripts, 1):
        value, problem = load_json_ld(script.text_content())
        if problem is not None:
            page.ignored_json_ld.append(f"JSON-LD block {number} ignored: {problem}")
        for obj in _walk_json(value):
            kind = " ".join(as_list(obj.get("@type")))
            if _ARTICLE_TYPE.search(kind):
                page.articles.append(obj)
            elif _PAGE_TYPE.search(kind):
                page.pages.append(obj)
            elif ORG_TYPE.search(kind) and isinstance(obj.get("name"), str):
                page.publishers.append(obj["name"])
    return page


def declared_body(page: Page) -> str | None:
    """The article text the page declares in JSON-LD (articleBody), tags and entities undone;
    the longest when there are several."""
    declared = [a["articleBody"] for a in page.articles if isinstance(a.get("articleBody"), str)]
    longest: str = max(declared, key=len, default="")
    if "<" not in longest:
        return unescape(longest).strip() or None
    try:  # some sites put the body's HTML there
        return "\n".join(lxml_html.fromstring(f"<div>{longest}</div>").itertext()).strip() or None
    except Exception:  # lxml's ParserError on a fragment it cannot read: keep the text as given
        return longest.strip() or None


def standfirst(page: Page) -> str | None:
    """The page's description when the page also shows it to readers: the standfirst under
    the headline. A description only in <meta> is a search snippet, often written apart from
    the article, and is not article text."""
    described = [*page.meta.get("og:description", []), *page.meta.get("description", [])]
    description = " ".join(described[0].split()) if described else ""
    if len(description.split()) < STANDFIRST_MIN_WORDS or description.endswith(("...", "…")):
        return None
    visible = page.tree.xpath(
        "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]"
    )
    return description if comparable(description) in comparable(" ".join(visible)) else None


def load_json_ld(text: str) -> tuple[Any, str | None]:
    """A JSON-LD block's value, or None and why it cannot be read: larger than
    MAX_JSON_LD_CHARS, nested deeper than MAX_JSON_LD_DEPTH, or not JSON."""
    text = text.strip().removeprefix("<![CDATA[").removesuffix("]]>").strip().rstrip(";")
    if len(text) > MAX_JSON_LD_CHARS:
        return None, f"{len(text):,} characters, larger than {MAX_JSON_LD_CHARS:,}"
    if not text:
        return None, None
    try:
        value = json.loads(text, strict=False)
    except RecursionError:
        return None, f"nested deeper than {MAX_JSON_LD_DEPTH} levels"
    except ValueError as exc:
        return None, f"malformed JSON ({exc})"
    # What json.loads could still nest is deeper than the recursive walks below (and
    # trafilatura's) can follow with the stack a worker has left.
    if _depth_exceeds(value, MAX_JSON_LD_DEPTH):
        return None, f"nested deeper than {MAX_JSON_LD_DEPTH} levels"
    return value, None


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` deep (without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


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


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def node_text(node: Any) -> str:
    return " ".join(str(node.text_content()).split())


def heading_node(page: Page) -> Any:
    """The first <h1> of two words or more (a one-word <h1> is usually a logo)."""
    return next((node for node in page.tree.iter("h1") if len(node_text(node).split()) >= 2), None)
