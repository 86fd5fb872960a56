"""Characters no stored text may hold, and text decoded twice: what is done with them.

PostgreSQL refuses NUL in text and UTF-8 refuses lone surrogates (JSON's "\\ud800" escape, a
file name that was not UTF-8); other controls and Unicode's noncharacters are junk a page
carries by mistake. One value holding one of them used to fail the COPY of a whole batch
(issue 18). Mojibake ("CafÃ© â€” councilâ€™s": UTF-8 read as windows-1252 somewhere upstream)
is repaired with ftfy's fix_encoding, which undoes only such decoding mistakes (quotes,
ligatures and the rest of the text stay as they are). Both are done where text enters the
pipeline (pipeline.extract), so that every later stage, and the database, see the text once
and valid.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ftfy import fix_encoding

# C0 controls but tab, newline, form feed and carriage return (which are whitespace); lone
# surrogates; the 66 noncharacters (U+FDD0-U+FDEF, U+xFFFE and U+xFFFF of each plane).
_NONCHARACTERS = "".join(
    chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)
)
_INVALID = re.compile(f"[\x00-\x08\x0b\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}]")
REPLACEMENT = "\ufffd"


def _kind(char: str) -> str:
    code = ord(char)
    if code == 0:
        return "NUL"
    if 0xD800 <= code <= 0xDFFF:
        return "lone surrogate"
    if code < 0x20:
        return "control character"
    return "noncharacter"


@dataclass
class CharacterReport:
    """What `valid_text` replaced, by kind and by the field it was found in."""

    found: Counter[str] = field(default_factory=Counter)
    fields: set[str] = field(default_factory=set)

    def valid_text(self, value: str, where: str) -> str:
        """`value` with mojibake repaired and each invalid character replaced by U+FFFD (NUL
        and other controls are dropped: they never stand for a letter, while a surrogate or
        noncharacter may)."""
        if _INVALID.search(value) is None:
            return self._without_mojibake(value, where)
        self.fields.add(where)

        def replace(match: re.Match[str]) -> str:
            kind = _kind(match.group(0))
            self.found[kind] += 1
            return "" if kind in ("NUL", "control character") else REPLACEMENT

        return self._without_mojibake(_INVALID.sub(replace, value), where)

    def _without_mojibake(self, value: str, where: str) -> str:
        if value.isascii():  # mojibake needs a non-ASCII character: most lines have none
            return value
        fixed: str = fix_encoding(value)
        if fixed != value:
            self.found["mojibake repair"] += 1
            self.fields.add(where)
        return fixed

    def __bool__(self) -> bool:
        return bool(self.found)

    def describe(self) -> str:
        counts = ", ".join(
            f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in sorted(self.found.items())
        )
        return f"{counts} in {', '.join(sorted(self.fields))}"


def valid_text(value: str) -> str:
    """`value` as text the database accepts (see CharacterReport.valid_text)."""
    return CharacterReport().valid_text(value, "")
