"""The text-level cleaner: one path for every input, after HTML extraction or straight from text.

It works on paragraphs (one per line of a text dump, one per block of trafilatura's output) and
removes what scrapers leave around an article. Each rule is general: it keys on the shape of a
line (length, punctuation, position, a call-to-action vocabulary) and never on an outlet's strings.
Every removal is kept with the rule's name, so an operator can audit a suspected false removal.
Lines that carry metadata (title, byline, date, "SOURCE:" credit) are moved into the metadata,
not lost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.metadata import find_trailing_date, looks_like_person_name, parse_byline, parse_date
from pipeline.models import ArticleMetadata, Removal

# --- normalisation ---------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]+)\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$|>~])")


def normalise_line(text: str) -> str:
    """Unicode NFC, visible whitespace, no control characters; typography (quotes) is kept."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def strip_markdown(text: str) -> tuple[str, bool]:
    """Undo the Markdown of text dumps; returns the text and whether it was a heading."""
    heading = bool(_MD_HEADING.match(text))
    text = _MD_HEADING.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    return _MD_ESCAPE.sub(r"\1", text).strip(), heading


# --- line shapes -----------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_TERMINAL = re.compile(r"[.!?…:;][\"'”’)\]]*$")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def ends_sentence(text: str) -> bool:
    return bool(_TERMINAL.search(text))


def is_headline_like(text: str) -> bool:
    """Short, starts with a capital or digit, and is not a sentence ending in a full stop."""
    words = word_count(text)
    return (
        0 < words <= 25
        and not text.rstrip().endswith((".", ",", ";", ":"))
        and (text[:1].isupper() or text[:1].isdigit() or text[:1] in "\"'“‘")
    )


def comparable(text: str) -> str:
    """A key under which two renderings of one line compare equal."""
    return " ".join(_WORD.findall(text.casefold()))


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if len(w) > 3}


# --- rule patterns ---------------------------------------------------------------------------

# Upper-case labels are layout, whatever follows; mixed-case words need a separator after them,
# since "Watch" or "Related" can also start a sentence of the article.
_NAVIGATION = re.compile(r"^(?:PREV(?:IOUS)?|NEXT)\b")
_NAVIGATION_CI = re.compile(
    r"^(?:«|‹|<|←)?\s*(?:previous|next|older|newer)\s+(?:article|story|post|page|item)\b"
    r"|^skip to (?:main )?(?:content|navigation|main)\b|^back to top\b",
    re.I,
)
_BREADCRUMB = re.compile(r"^[\w .&'’-]{1,30}(?:\s*[>›»/|]\s*[\w .&'’-]{1,40}){2,}$")
_PROMO = re.compile(
    r"^(?:READ MORE|ALSO READ|READ ALSO|SEE ALSO)\b"
    r"|^(?:RELATED|MORE|WATCH|LISTEN|RECOMMENDED)\s*[:|\-–—]"
)
_PROMO_CI = re.compile(
    r"^(?:read more|also read|read also|related(?: stories| articles| content| coverage| reading)?"
    r"|see also|more from|more on this|recommended(?: for you)?|watch|listen|click here"
    r"|you may also like|you might also like|don't miss|trending)\s*[:|\-–—]",
    re.I,
)
_SOURCE_LINE = re.compile(r"^(?:sources?|via)\s*:\s*(?P<credit>.{2,120})$", re.I)
_CREDIT_SUFFIX = re.compile(r"\s+[/|]\s+(?P<credit>\w[\w.&'’-]*(?:\s[\w.&'’-]+){0,4})$")
_CAPTION_CREDIT = re.compile(
    r"\[(?:[A-Z][\w.&'’/ -]{0,40}|photo[^\]]*|file[^\]]*)\]$"
    r"|\((?:[^()]*\b(?:photo|photograph|image|picture|credit|getty|file photo)\b[^()]*)\)$"
    r"|^(?:photo|image|picture|photograph|credit|caption|foto)s?\s*(?:by\s|:)",
    re.I,
)
_UI_LINE = re.compile(
    r"^(?:dismiss|accept(?: all)?(?: cookies)?|reject(?: all)?|close|ok|got it|share|tweet|email|"
    r"print|comments?|advertisement|sponsored|skip|menu|search|log ?in|sign ?in|sign up|subscribe|"
    r"continue reading|show more|load more|see more|view comments|copy link|follow|listen|"
    r"share this(?: article| story)?|share on \w+)\W*$",
    re.I,
)
_PROMPT = re.compile(
    r"\b(?:subscribe|subscription|newsletter|sign up|sign-up|cookies?|privacy policy|"
    r"terms of (?:use|service)|share (?:this|on)|follow us|download (?:our|the) app|"
    r"join the conversation|leave a comment|comments? (?:are|is) (?:closed|moderated)|"
    r"unsubscribe|disable (?:your )?ad ?block)",
    re.I,
)
_COPYRIGHT = re.compile(r"^(?:©|\(c\)|copyright\b)|\ball rights reserved\b", re.I)
_CONTACT = re.compile(
    r"^(?:to contact|contact us|for (?:more information|inquiries|enquiries)|follow us on|"
    r"send (?:us )?(?:your )?(?:tips|news tips)|have a (?:news )?tip)\b",
    re.I,
)
_LINK_ONLY = re.compile(r"^(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?$", re.I)

PROMPT_MAX_WORDS = 30
MIN_BODY_WORDS = 12


@dataclass
class _Line:
    text: str
    heading: bool = False


@dataclass
class CleanResult:
    paragraphs: list[str]
    metadata: ArticleMetadata
    removals: list[Removal] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


class _Cleaner:
    def __init__(self, lines: list[_Line], metadata: ArticleMetadata) -> None:
        self.lines = lines
        self.metadata = metadata
        self.removals: list[Removal] = []

    def remove(self, index: int, rule: str) -> None:
        self.removals.append(Removal(rule, self.lines[index].text))

    def filter(self, rule: str, predicate: Callable[[int, _Line], bool]) -> None:
        kept: list[_Line] = []
        for index, line in enumerate(self.lines):
            if predicate(index, line):
                self.remove(index, rule)
            else:
                kept.append(line)
        self.lines = kept

    # -- head: title, standfirst credit, byline and date ----------------------------------

    def take_title(self) -> None:
        if not self.lines:
            return
        first = self.lines[0]
        if self.metadata.title is None and (first.heading or _is_title_candidate(self.lines)):
            self.metadata.title = first.text
        if self.metadata.title is None:
            return
        title_key = comparable(self.metadata.title)
        self.filter("repeated_title", lambda _i, line: comparable(line.text) == title_key)

    def take_head_metadata(self, head_size: int = 6) -> None:
        """Bylines and datelines sit before the first paragraph of body text."""
        index = 0
        while index < min(head_size, len(self.lines)):
            line = self.lines[index]
            if word_count(line.text) >= MIN_BODY_WORDS * 2:
                self._take_credit_suffix(index)
                index += 1
                continue
            if self._take_byline_or_date(index):
                continue
            index += 1

    def _take_credit_suffix(self, index: int) -> None:
        line = self.lines[index]
        match = _CREDIT_SUFFIX.search(line.text)
        if match and ends_sentence(line.text[: match.start()]):
            self.metadata.credit = self.metadata.credit or match.group("credit").strip()
            self.removals.append(Removal("standfirst_credit", match.group(0).strip()))
            line.text = line.text[: match.start()].rstrip()

    def _take_byline_or_date(self, index: int) -> bool:
        text = self.lines[index].text
        byline = parse_byline(text)
        if byline is not None:
            names, date = byline
            self._set_authors(names)
            self._set_date(date)
            self._drop(index, "byline")
            return True
        date = parse_date(text)
        if date is not None:
            self._set_date(date)
            self._drop(index, "dateline")
            return True
        names_part, trailing_date = find_trailing_date(text)
        neighbour_is_date = any(
            parse_date(self.lines[j].text) is not None
            for j in (index - 1, index + 1)
            if 0 <= j < len(self.lines)
        )
        if looks_like_person_name(names_part) and (trailing_date or neighbour_is_date):
            self._set_authors([names_part])
            self._set_date(trailing_date)
            self._drop(index, "byline")
            return True
        return False

    def _set_authors(self, names: list[str]) -> None:
        if not self.metadata.authors:
            self.metadata.authors = names

    def _set_date(self, date: object) -> None:
        from datetime import datetime

        if isinstance(date, datetime) and self.metadata.published_at is None:
            self.metadata.published_at = date

    def _drop(self, index: int, rule: str) -> None:
        self.remove(index, rule)
        del self.lines[index]

    # -- single-line rules ----------------------------------------------------------------

    def line_rules(self) -> None:
        self.filter("lone_punctuation", lambda _i, line: word_count(line.text) == 0)
        self.filter("navigation", lambda _i, line: _is_navigation(line.text))
        self.filter("promo", lambda _i, line: _is_promo(line.text))
        self.filter("source_line", self._is_source_line)
        self.filter("caption", lambda _i, line: _is_caption(line.text))
        self.filter("interface_text", lambda _i, line: bool(_UI_LINE.match(line.text)))
        self.filter("prompt", lambda _i, line: _is_prompt(line.text))
        self.filter("copyright", lambda _i, line: _is_copyright(line.text))
        self.filter("contact_footer", lambda _i, line: _is_contact(line.text))
        self.filter("link_only", lambda _i, line: bool(_LINK_ONLY.match(line.text)))

    def _is_source_line(self, _index: int, line: _Line) -> bool:
        match = _SOURCE_LINE.match(line.text)
        if match is None or word_count(line.text) > 15:
            return False
        self.metadata.credit = self.metadata.credit or match.group("credit").strip()
        return True

    # -- rules that look at neighbours ----------------------------------------------------

    def repeated_lines(self) -> None:
        """A line shown twice in a row is a layout artefact (doubled captions, card titles)."""
        self.filter(
            "repeated_line",
            lambda i, line: i > 0 and comparable(line.text) == comparable(self.lines[i - 1].text),
        )

    def related_headlines(self, promo_targets: list[set[str]]) -> None:
        """A bare headline line that names the same story as a promo link is that link's teaser."""

        def is_teaser(_index: int, line: _Line) -> bool:
            words = content_words(line.text)
            if not is_headline_like(line.text) or len(words) < 3:
                return False
            return any(len(words & target) >= 0.6 * len(words) for target in promo_targets)

        self.filter("related_headline", is_teaser)

    def trailing_blocks(self) -> None:
        """After the article's last sentence: teaser cards, end-of-page fragments."""
        self._trim_teaser_cards()
        while self.lines and _is_trailing_fragment(self.lines[-1].text):
            self._drop(len(self.lines) - 1, "trailing_fragment")

    def _trim_teaser_cards(self) -> None:
        # Teaser cards show a headline twice (link text and image alt) then a blurb; two such
        # doubled headlines near the end mark where the recommended-stories block starts.
        doubled = [
            i
            for i in range(1, len(self.lines))
            if is_headline_like(self.lines[i].text)
            and comparable(self.lines[i].text) == comparable(self.lines[i - 1].text)
        ]
        if len(doubled) < 2:
            return
        start = doubled[0] - 1
        if start < len(self.lines) / 2:
            return
        if any(word_count(line.text) > 60 for line in self.lines[start:]):
            return
        for index in range(start, len(self.lines)):
            self.remove(index, "trailing_teasers")
        del self.lines[start:]

    def rejoin_broken_paragraphs(self) -> None:
        """Join a paragraph that stops mid-sentence with the one that completes it."""
        joined: list[_Line] = []
        for line in self.lines:
            if joined and _continues(joined[-1], line):
                joined[-1] = _Line(f"{joined[-1].text} {line.text}")
            else:
                joined.append(line)
        self.lines = joined


def _is_title_candidate(lines: list[_Line]) -> bool:
    first = lines[0].text
    return is_headline_like(first) and len(lines) > 1 and word_count(first) >= 3


def _is_navigation(text: str) -> bool:
    return bool(_NAVIGATION.match(text) or _NAVIGATION_CI.match(text)) or (
        bool(_BREADCRUMB.match(text)) and word_count(text) <= 12 and not ends_sentence(text)
    )


def _is_promo(text: str) -> bool:
    return bool(_PROMO.match(text) or _PROMO_CI.match(text)) and word_count(text) <= 30


def _is_caption(text: str) -> bool:
    return bool(_CAPTION_CREDIT.search(text)) and word_count(text) <= 60


def _is_prompt(text: str) -> bool:
    return (
        word_count(text) <= PROMPT_MAX_WORDS
        and bool(_PROMPT.search(text))
        and (not ends_sentence(text) or word_count(text) <= 20)
    )


def _is_copyright(text: str) -> bool:
    return word_count(text) <= PROMPT_MAX_WORDS and bool(_COPYRIGHT.search(text))


def _is_contact(text: str) -> bool:
    return word_count(text) <= PROMPT_MAX_WORDS and bool(_CONTACT.match(text))


def _is_trailing_fragment(text: str) -> bool:
    return word_count(text) <= 3 and not ends_sentence(text)


def _continues(previous: _Line, line: _Line) -> bool:
    if previous.heading or line.heading or ends_sentence(previous.text):
        return False
    if word_count(previous.text) < MIN_BODY_WORDS:
        return False
    first = line.text[:1]
    return first.islower() or (
        previous.text[-1:].isalpha() and word_count(line.text) >= MIN_BODY_WORDS
    )


def clean_paragraphs(paragraphs: list[str], metadata: ArticleMetadata | None = None) -> CleanResult:
    """Clean one article given as paragraphs; metadata found on the way fills `metadata`."""
    metadata = metadata or ArticleMetadata()
    lines: list[_Line] = []
    for paragraph in paragraphs:
        text, heading = strip_markdown(normalise_line(paragraph))
        if text:
            lines.append(_Line(text, heading))
    cleaner = _Cleaner(lines, metadata)
    promo_targets = [
        content_words(re.sub(r"^[^:|–—-]*[:|–—-]", "", line.text))
        for line in lines
        if _is_promo(line.text)
    ]
    cleaner.take_title()
    cleaner.take_head_metadata()
    cleaner.line_rules()
    cleaner.related_headlines(promo_targets)
    cleaner.trailing_blocks()
    cleaner.repeated_lines()
    cleaner.rejoin_broken_paragraphs()
    return CleanResult([line.text for line in cleaner.lines], metadata, cleaner.removals)


def split_text(text: str) -> list[str]:
    """A text dump's paragraphs: every non-blank line (dumps put one paragraph per line)."""
    return [line for line in text.splitlines() if line.strip()]
