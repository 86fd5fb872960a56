"""A line of an article as the cleaning rules see it, and the shape every rule has."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Furniture lines are short: a line longer than this is prose to every rule that asks.
SHORT_LINE_WORDS = 25


@dataclass
class Line:
    text: str
    kind: str = "p"  # p, head, item, row, quote, lead: the block the line came from


# A rule: the article's lines and its title (when known) -> the indices it would remove.
Rule = Callable[[Sequence[Line], str | None], set[int]]


def indices(lines: Sequence[Line], test: Callable[[str], bool]) -> set[int]:
    """The lines whose text passes `test`."""
    return {i for i, line in enumerate(lines) if test(line.text)}
