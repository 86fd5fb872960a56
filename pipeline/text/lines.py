"""Line normalisation and the shape measures every cleaning rule is written in."""

from __future__ import annotations

import re
import unicodedata

from pipeline.text.tables import ROW
from pipeline.text.words import word_count

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What sites put between a headline and their name or section ("Headline | Site", "Site - News").
TITLE_SEPARATOR = re.compile(r"\s+(?:[|–—:»·-]|::)\s+")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
# The block kind a line's Markdown marks, the first that matches.
_MD_BLOCKS = (
    ("head", _MD_HEADING),
    ("row", ROW),
    ("item", re.compile(r"^[-*•]\s+")),
)
# What is undone, in order: the heading mark, links (their text stays), emphasis, escapes.
_MD_UNDONE = (
    (_MD_HEADING, ""),
    (re.compile(r"\[([^\]]*)\]\((?:[^()\s]+)\)"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!$|>~])"), r"\1"),
)

_TERMINAL = re.compile(r"[.!?…:;][\"'”’)\]]*$")
_PROSE_END = re.compile(r"[.!?…:;\"'”’)\]]\s*$")
# End-of-article marks (♦, ■) close the last sentence; they do not make it a fragment.
_ORNAMENT = re.compile(r"[\s♦■□▪●◆◾▲►◼]+$")


def normalise_line(text: str) -> str:
    """Unicode NFC, visible whitespace, no control characters; typography (quotes) is kept."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def strip_markdown(text: str) -> tuple[str, str | None]:
    """Undo the Markdown of text dumps; returns the text and the block kind it marked, if any."""
    kind = next((kind for kind, mark in _MD_BLOCKS if mark.match(text)), None)
    for pattern, replacement in _MD_UNDONE:
        text = pattern.sub(replacement, text)
    return text.strip(), kind


def ends_sentence(text: str) -> bool:
    return bool(_TERMINAL.search(_ORNAMENT.sub("", text)))


def is_prose(text: str, min_words: int = 8) -> bool:
    """Running text: enough words and a sentence-final mark (closing quotes count)."""
    return word_count(text) >= min_words and bool(_PROSE_END.search(_ORNAMENT.sub("", text)))


def is_headline_like(text: str) -> bool:
    """Short, starts with a capital or digit, and is not a sentence ending in a full stop."""
    count = word_count(text)
    return (
        0 < count <= 25
        and not text.rstrip().endswith((".", ",", ";", ":"))
        and (text[:1].isupper() or text[:1].isdigit() or text[:1] in "\"'“‘")
    )


def upper_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0
