"""Table rows as an article body keeps them: one '| cell | cell |' line per row (the way
Markdown writes a table, so a reader sees the columns), and the rows of one table as one block.

Tables are article text: a league table, a price list, a results grid. Dedupe still leaves them
out of its signals when the article has prose enough to compare (see without_tables), since two
different match reports share the same standings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.text.words import word_count

ROW = re.compile(r"^\|.*\|$")
# Below this many words of prose outside its tables, an article is compared by its tables too.
PROSE_WORDS_WITHOUT_TABLES = 50


def render_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def is_table_row(line: str) -> bool:
    return bool(ROW.match(line.strip()))


def row_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip()[1:-1].split("|")]


def without_tables(body: str) -> str:
    """The body without its table rows, unless that leaves too little prose to compare."""
    kept = "\n".join(line for line in body.split("\n") if not is_table_row(line))
    return kept if word_count(kept) >= PROSE_WORDS_WITHOUT_TABLES else body
