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

from pipeline.clean.head import HEAD_RULES, HeadReader
from pipeline.clean.line import Line
from pipeline.clean.rules import ENGLISH_WORDED, ROW_RULES, RULES, strip_embed_links
from pipeline.clean.site import line_key
from pipeline.models import ArticleMetadata, Paragraph, Removal
from pipeline.text.language import detect_language
from pipeline.text.lines import ends_sentence, normalise_line, strip_markdown
from pipeline.text.words import word_count

__all__ = ["RULE_NAMES", "CleanResult", "clean_paragraphs", "uncleaned_text"]

MIN_BODY_WORDS = 12
# A line this long tells its own language (pipeline.text.language).
LANGUAGE_MIN_WORDS = 4
SITE_BOILERPLATE = "site_boilerplate"
# Every name a removal can carry, in the order the cleaner applies them.
RULE_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys([*HEAD_RULES, *RULES, *ROW_RULES, SITE_BOILERPLATE])
)


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


def _without_embed_links(lines: list[Line], removals: list[Removal]) -> list[Line]:
    kept: list[Line] = []
    for line in lines:
        text, links = strip_embed_links(line.text)
        removals.extend(Removal("social_embed", link) for link in links)
        if text:
            kept.append(Line(text, line.kind))
    return kept


def _apply_rules(
    lines: list[Line],
    title: str | None,
    removals: list[Removal],
    disabled: Collection[str],
    language: str | None,
) -> list[Line]:
    named: dict[int, str] = {}
    for rules, is_row in ((RULES, False), (ROW_RULES, True)):
        positions = [i for i, line in enumerate(lines) if (line.kind == "row") == is_row]
        seen = [lines[i] for i in positions]
        for name, rule in rules.items():
            if name in disabled:
                continue
            for index in rule(seen, title):
                named.setdefault(positions[index], name)
    if language not in (None, "en"):
        named = {i: name for i, name in named.items() if _applies(name, lines[i].text)}
    removals.extend(Removal(named[i], lines[i].text) for i in sorted(named))
    return [line for i, line in enumerate(lines) if i not in named]


def _applies(rule: str, text: str) -> bool:
    """In an article not in English, whether an English-worded rule may take this line: only
    when the line is English too (too short a line cannot tell, and is taken as its rule says)."""
    if rule not in ENGLISH_WORDED or word_count(text) < LANGUAGE_MIN_WORDS:
        return True
    return detect_language(text) == "en"


def article_language(lines: Sequence[Line]) -> str | None:
    """The article's language, told from its prose (the chrome around it may be in another)."""
    prose = [line.text for line in lines if word_count(line.text) >= MIN_BODY_WORDS]
    return detect_language(" ".join(prose or [line.text for line in lines]))


def _drop_site_boilerplate(
    lines: list[Line], known: Collection[str], removals: list[Removal]
) -> list[Line]:
    kept: list[Line] = []
    for line in lines:
        if known and line.kind != "row" and line_key(line.text) in known:
            removals.append(Removal(SITE_BOILERPLATE, line.text))
        else:
            kept.append(line)
    return kept


def _continues(previous: Line, line: Line) -> bool:
    if previous.kind != line.kind or line.kind in ("head", "row") or ends_sentence(previous.text):
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
    disabled: Collection[str] = frozenset(),
) -> CleanResult:
    """Clean one article given as paragraphs; metadata found on the way fills `metadata`.

    `site_boilerplate` holds the line keys (pipeline.clean.site.line_key) its site is known
    to repeat across articles. `disabled` names rules (RULE_NAMES) not to apply: the
    evaluation switches each off in turn to measure what it is worth.
    """
    metadata = metadata or ArticleMetadata()
    removals: list[Removal] = []
    lines = _lines(paragraphs)
    if "social_embed" not in disabled:
        lines = _without_embed_links(lines, removals)
    head = HeadReader(lines, metadata, disabled)
    head.read()
    removals += head.removals
    metadata.language = metadata.language or article_language(head.lines)
    lines = _apply_rules(head.lines, metadata.title, removals, disabled, metadata.language)
    site_lines = [line.text for line in lines if line.kind != "row"]
    if SITE_BOILERPLATE not in disabled:
        lines = _drop_site_boilerplate(lines, site_boilerplate, removals)
    lines = _rejoin_broken(lines)
    return CleanResult(_paragraphs(lines), metadata, removals, site_lines)


def _paragraphs(lines: list[Line]) -> list[str]:
    """One paragraph a line, but the rows of one table together, one row a line."""
    paragraphs: list[str] = []
    for i, line in enumerate(lines):
        if line.kind == "row" and i and lines[i - 1].kind == "row":
            paragraphs[-1] += "\n" + line.text
        else:
            paragraphs.append(line.text)
    return paragraphs


def uncleaned_text(paragraphs: Sequence[Paragraph]) -> str:
    """The paragraphs as a body shows text, with no rule applied: what clean_paragraphs
    returns with every rule disabled, without the work of asking each rule."""
    return "\n\n".join(_paragraphs(_rejoin_broken(_lines(paragraphs))))
