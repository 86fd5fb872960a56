"""HTML pages: trafilatura's XML output as paragraphs that keep their block kind, with the
page's standfirst and declared articleBody where trafilatura left them out."""

from __future__ import annotations

from typing import Any

from pipeline.extract.metadata import declared_body, metadata_from_page, parse_page, standfirst
from pipeline.models import ArticleMetadata, InputError
from pipeline.text.tables import render_row
from pipeline.text.words import comparable, word_count, words

# A declared body this long that the extracted text barely contains means the extractor
# took another block (see with_declared_body).
DECLARED_BODY_MIN_WORDS = 150

DECLARED_BODY_SEEN_SHARE = 0.1

_LEAF_BLOCKS = {"p": "p", "head": "head", "item": "item", "code": "p"}
# A table cell with this much text is a page laid out in a table, not a table of data.
LAYOUT_CELL_WORDS = 40
_CELL_BLOCKS = {"p", "head", "list", "quote", "table", "item", "row"}


def _block_text(element: Any) -> list[str]:
    """The lines of one block; a <lb/> inside it is a line break the page meant."""
    parts: list[str] = [element.text or ""]
    for child in element:
        parts.append("\n" if child.tag == "lb" else "".join(child.itertext()))
        parts.append(child.tail or "")
    return [line for line in "".join(parts).split("\n") if line.strip()]


def _cell_blocks(cell: Any) -> list[tuple[str, str]]:
    """A cell's text: its blocks when it holds paragraphs or headings, else its lines."""
    if not any(child.tag in _CELL_BLOCKS for child in cell):
        return [(line, "p") for line in _block_text(cell)]
    text = " ".join((cell.text or "").split())
    return [(text, "p")] * bool(text) + blocks(cell)


def _row_blocks(row: Any) -> list[tuple[str, str]]:
    """A table row as one '| cell | cell |' line (pipeline/text/tables.py), or, when the table
    only lays the page out (a single cell, or a cell holding running text), as the blocks of
    its cells: some sites set a whole article inside a <table>."""
    cells = [found for found in map(_cell_blocks, row) if found]
    texts = [" ".join(" ".join(text for text, _ in found).split()) for found in cells]
    if len(cells) == 1 or any(word_count(text) >= LAYOUT_CELL_WORDS for text in texts):
        return [block for found in cells for block in found]
    return [(render_row(texts), "row")] if cells else []


def blocks(container: Any, inherited: str | None = None) -> list[tuple[str, str]]:
    """trafilatura's XML body as (text, kind) paragraphs: kind is p, head, item, row or quote.

    The kinds let the cleaner tell a table row or a heading from prose, which plain text
    output loses.
    """
    found: list[tuple[str, str]] = []
    for element in container:
        if element.tag == "row":
            found.extend(_row_blocks(element))
            continue
        kind = _LEAF_BLOCKS.get(element.tag)
        if kind is not None:
            found.extend((line, inherited or kind) for line in _block_text(element))
        elif element.tag != "graphic":
            nested = "quote" if element.tag == "quote" else inherited
            if element.text and element.text.strip():  # a quote or div holding bare text
                found.append((" ".join(element.text.split()), nested or "p"))
            found.extend(blocks(element, nested))
    return found


def html_paragraphs(
    html: str, url: str | None
) -> tuple[list[tuple[str, str]], ArticleMetadata, list[str]]:
    """Main text blocks and metadata of a page, via trafilatura (and htmldate, which it calls),
    and notes on the page's JSON-LD that was ignored (see metadata.page.load_json_ld)."""
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
    metadata = metadata_from_page(page, url, _textual(document.as_dict()))
    return paragraphs, metadata, page.ignored_json_ld


def _textual(document: dict[str, Any]) -> dict[str, Any]:
    """trafilatura's metadata with every value a string, a list of strings or None: it copies
    JSON-LD values through as the page typed them, and a headline that is a number or an object
    must cost the page its title, not the page."""

    def text(value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
        return None

    return {key: text(value) for key, value in document.items()}


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
