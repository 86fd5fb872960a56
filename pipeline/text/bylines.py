"""Bylines and person names in plain text ("By Jane Doe and John Roe, March 3, 2024")."""

from __future__ import annotations

import re
from datetime import datetime

from pipeline.text.dates import find_trailing_date

_NAME_WORD = r"(?:[A-Z][\w'’.-]*|van|von|de|der|den|da|di|du|del|la|le|al|el|bin|ibn)"

_PERSON_NAME = re.compile(rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,4}}")

# The words a byline starts with ("By", "Written by", "Reporting by", "More by", "Posts by"),
# for the rules that read a byline (here, extract/metadata/authors.py) and the one that removes
# a byline from an article's lead (clean/patterns.py).
BYLINE_LEAD = (
    r"(?:(?:view\s+all\s+)?(?:posts|articles|stories)\s+by|more\s+by"
    r"|(?:words|written|story|posted|reported|reporting)\s+by|by)"
)
_BYLINE = re.compile(rf"^{BYLINE_LEAD}\s*:?\s+(?P<rest>.+)$", re.I)

_NAME_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*")


def looks_like_person_name(text: str) -> bool:
    """Two to five capitalised name words and nothing else: 'Bill Van Auken', 'Ana de Armas'."""
    return bool(_PERSON_NAME.fullmatch(text.strip())) and not text.strip().isupper()


def parse_byline(text: str) -> tuple[list[str], datetime | None] | None:
    """'By A and B, December 15, 2024' -> (['A', 'B'], date); None if the line is no byline."""
    match = _BYLINE.match(text.strip())
    if not match:
        return None
    names_part, date = find_trailing_date(match.group("rest"))
    names = [name.strip(" .") for name in _NAME_SPLIT.split(names_part) if name.strip(" .")]
    if not names or len(names_part.split()) > 12:
        return None
    return names, date
