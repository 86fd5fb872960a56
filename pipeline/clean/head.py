"""The head of an article: title, byline, dateline and credit lines move into the metadata.

These lines are not lost: the cleaner records each as a removal and fills the metadata from
it, so text dumps get the same title, authors and date that HTML pages carry in markup.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from pipeline.clean import patterns as pat
from pipeline.clean.line import Line
from pipeline.clean.rules import is_furniture
from pipeline.models import ArticleMetadata, Removal
from pipeline.text.bylines import looks_like_person_name, parse_byline
from pipeline.text.dates import find_trailing_date, parse_date
from pipeline.text.lines import ends_sentence, is_headline_like
from pipeline.text.words import comparable, word_count

HEAD_SIZE = 6
BODY_PARAGRAPH_WORDS = 24
SOURCE_LINE_MAX_WORDS = 15
HEAD_RULES = ("repeated_title", "byline", "dateline", "standfirst_credit", "source_line")


class HeadReader:
    """Takes metadata lines off the top of `lines`, recording each as a removal."""

    def __init__(
        self, lines: list[Line], metadata: ArticleMetadata, disabled: Collection[str] = ()
    ) -> None:
        self.lines = lines
        self.metadata = metadata
        self.removals: list[Removal] = []
        self.disabled = disabled

    def read(self) -> None:
        if "repeated_title" not in self.disabled:
            self._take_title()
        self._take_head_lines()
        if "source_line" not in self.disabled:
            self._take_source_lines()

    def _drop(self, index: int, rule: str) -> None:
        self.removals.append(Removal(rule, self.lines[index].text))
        del self.lines[index]

    def _take_title(self) -> None:
        if not self.lines or self.metadata.title is not None:
            return
        first = self.lines[0]
        if is_furniture(first):
            return
        if first.kind == "head" or (
            is_headline_like(first.text) and len(self.lines) > 1 and word_count(first.text) >= 3
        ):
            self.metadata.title = first.text
            key = comparable(first.text)
            while self.lines and comparable(self.lines[0].text) == key:
                self._drop(0, "repeated_title")

    def _take_head_lines(self) -> None:
        """Bylines and datelines sit before the first paragraph of body text, or between a
        standfirst and the body.

        A line below body text with no body paragraph after it is the article's closing credit
        ("Reporting by ...; Editing by ..."), which the first lines of a short article reach.
        """
        index = 0
        seen_body = False
        while index < min(HEAD_SIZE, len(self.lines)):
            line = self.lines[index]
            if word_count(line.text) >= BODY_PARAGRAPH_WORDS:
                self._take_credit_suffix(line)
                seen_body = True
                index += 1
            elif seen_body and not self._body_follows(index):
                return
            elif not self._take_byline_or_date(index):
                index += 1

    def _body_follows(self, index: int) -> bool:
        return any(
            word_count(line.text) >= BODY_PARAGRAPH_WORDS for line in self.lines[index + 1 :]
        )

    def _take_credit_suffix(self, line: Line) -> None:
        """A standfirst that ends ' / Agency' or ' | Agency' carries the story's credit."""
        match = pat.CREDIT_SUFFIX.search(line.text)
        if (
            match
            and "standfirst_credit" not in self.disabled
            and ends_sentence(line.text[: match.start()])
        ):
            self.metadata.credit = self.metadata.credit or match.group("credit").strip()
            self.removals.append(Removal("standfirst_credit", match.group(0).strip()))
            line.text = line.text[: match.start()].rstrip()

    def _take_byline_or_date(self, index: int) -> bool:
        text = self.lines[index].text
        if self.lines[index].kind == "row":
            return False
        takes_bylines, takes_dates = "byline" not in self.disabled, "dateline" not in self.disabled
        byline = parse_byline(text) if takes_bylines else None
        if byline is not None:
            names, date = byline
            self._set_authors(names)
            self._set_date(date)
            self._drop(index, "byline")
            return True
        date = parse_date(text) if takes_dates else None
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
        if (
            takes_bylines
            and looks_like_person_name(names_part)
            and (trailing_date or neighbour_is_date)
        ):
            self._set_authors([names_part])
            self._set_date(trailing_date)
            self._drop(index, "byline")
            return True
        return False

    def _take_source_lines(self) -> None:
        """'SOURCE: Al Jazeera and agencies' anywhere: a credit for the metadata."""
        index = 0
        while index < len(self.lines):
            match = pat.SOURCE_LINE.match(self.lines[index].text)
            if match and word_count(self.lines[index].text) <= SOURCE_LINE_MAX_WORDS:
                self.metadata.credit = self.metadata.credit or match.group("credit").strip()
                self._drop(index, "source_line")
            else:
                index += 1

    def _set_authors(self, names: list[str]) -> None:
        if not self.metadata.authors:
            self.metadata.authors = names

    def _set_date(self, date: datetime | None) -> None:
        if date is not None and self.metadata.published_at is None:
            self.metadata.published_at = date
