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
from ftfy.badness import BADNESS_RE

# C0 controls but tab, newline, form feed and carriage return (which are whitespace); lone
# surrogates; the 66 noncharacters (U+FDD0-U+FDEF, U+xFFFE and U+xFFFF of each plane).
_NONCHARACTERS = "".join(
    chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)
)
_INVALID = re.compile(f"[\x00-\x08\x0b\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}]")
# The same class without the 32 noncharacters beyond the BMP is a bitmap to the regex engine,
# searched 14 times faster: the whole class is tried only on text with astral characters.
_INVALID_IN_BMP = re.compile("[\x00-\x08\x0b\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"
# fix_encoding changes a text only when ftfy's badness regex (ftfy.badness.is_bad) finds a
# suspicious sequence in it, and that regex, tried at every position of a long paragraph, took
# half of the HTML path's time. Every branch of it needs a non-ASCII character and matches at
# most MOJIBAKE_REACH + 1 characters (tests/extract/test_characters.py checks both against the
# installed ftfy), so a match lies within MOJIBAKE_REACH characters of a non-ASCII run: searching
# only there finds every match the whole-text search would.
MOJIBAKE_REACH = 6
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def may_hold_mojibake(value: str) -> bool:
    """ftfy.badness.is_bad(value), searched only near the non-ASCII characters."""
    windows: list[list[int]] = []
    for run in _NON_ASCII_RUN.finditer(value):
        low, high = max(run.start() - MOJIBAKE_REACH, 0), run.end() + MOJIBAKE_REACH
        if windows and low <= windows[-1][1]:
            windows[-1][1] = high
        else:
            windows.append([low, high])
    return any(BADNESS_RE.search(value, low, high) for low, high in windows)


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
        """`value` with mojibake repaired and its invalid characters replaced (valid_characters)."""
        return self._without_mojibake(self.valid_characters(value, where), where)

    def valid_characters(self, value: str, where: str) -> str:
        """`value` with each invalid character replaced by U+FFFD (NUL and other controls are
        dropped: they never stand for a letter, while a surrogate or noncharacter may)."""
        if _INVALID_IN_BMP.search(value) is None and (
            _ASTRAL.search(value) is None or _INVALID.search(value) is None
        ):
            return value
        self.fields.add(where)

        def replace(match: re.Match[str]) -> str:
            kind = _kind(match.group(0))
            self.found[kind] += 1
            return "" if kind in ("NUL", "control character") else REPLACEMENT

        return _INVALID.sub(replace, value)

    def _without_mojibake(self, value: str, where: str) -> str:
        if value.isascii() or not may_hold_mojibake(value):  # what fix_encoding leaves as it is
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
