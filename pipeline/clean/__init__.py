"""The text-level cleaner: one path for every input, after HTML extraction or straight from text.

It works on paragraphs (one per line of a text dump, one per block of trafilatura's output) and
removes what scrapers leave around an article: head lines become metadata (pipeline/clean/head.py),
general rules name page furniture by its shape (pipeline/clean/rules.py), and lines a site repeats
across its articles go too (pipeline/clean/site.py). Every removal is kept with the rule's name, so
an operator can audit a suspected false removal.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from pipeline.clean.head import HeadReader
from pipeline.clean.rules import RULES, Line
from pipeline.clean.site import line_key
from pipeline.models import ArticleMetadata, Paragraph, Removal
from pipeline.text.lines import ends_sentence, normalise_line, strip_markdown
from pipeline.text.words import word_count

__all__ = ["CleanResult", "clean_paragraphs"]

MIN_BODY_WORDS = 12


@dataclass
class CleanResult:
    paragraphs: list[str]
    metadata: ArticleMetadata
    removals: list[Removal] = field(default_factory=list)
    # The lines general rules left, before site boilerplate went: what a site's counts learn.
    site_lines: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def _lines(paragraphs: Sequence[Paragraph]) -> list[Line]:
    lines: list[Line] = []
    for paragraph in paragraphs:
        raw, kind = paragraph if isinstance(paragraph, tuple) else (paragraph, "p")
        text, marked = strip_markdown(normalise_line(raw))
        if text:
            lines.append(Line(text, marked or kind))
    return lines


def _apply_rules(lines: list[Line], title: str | None, removals: list[Removal]) -> list[Line]:
    named: dict[int, str] = {}
    for name, rule in RULES.items():
        for index in rule(lines, title):
            named.setdefault(index, name)
    removals.extend(Removal(named[i], lines[i].text) for i in sorted(named))
    return [line for i, line in enumerate(lines) if i not in named]


def _drop_site_boilerplate(
    lines: list[Line], known: Collection[str], removals: list[Removal]
) -> list[Line]:
    kept: list[Line] = []
    for line in lines:
        if known and line_key(line.text) in known:
            removals.append(Removal("site_boilerplate", line.text))
        else:
            kept.append(line)
    return kept


def _continues(previous: Line, line: Line) -> bool:
    if previous.kind != line.kind or line.kind == "head" or ends_sentence(previous.text):
        return False
    if word_count(previous.text) < MIN_BODY_WORDS:
        return False
    first = line.text[:1]
    return first.islower() or (
        previous.text[-1:].isalpha() and word_count(line.text) >= MIN_BODY_WORDS
    )


def _rejoin_broken(lines: list[Line]) -> list[Line]:
    """Join a paragraph that stops mid-sentence with the one that completes it."""
    joined: list[Line] = []
    for line in lines:
        if joined and _continues(joined[-1], line):
            joined[-1] = Line(f"{joined[-1].text} {line.text}", joined[-1].kind)
        else:
            joined.append(line)
    return joined


def clean_paragraphs(
    paragraphs: Sequence[Paragraph],
    metadata: ArticleMetadata | None = None,
    site_boilerplate: Collection[str] = frozenset(),
) -> CleanResult:
    """Clean one article given as paragraphs; metadata found on the way fills `metadata`.

    `site_boilerplate` holds the line keys (pipeline.clean.site.line_key) its site is known
    to repeat across articles.
    """
    metadata = metadata or ArticleMetadata()
    head = HeadReader(_lines(paragraphs), metadata)
    head.read()
    removals = head.removals
    lines = _apply_rules(head.lines, metadata.title, removals)
    site_lines = [line.text for line in lines]
    lines = _drop_site_boilerplate(lines, site_boilerplate, removals)
    lines = _rejoin_broken(lines)
    return CleanResult([line.text for line in lines], metadata, removals, site_lines)
