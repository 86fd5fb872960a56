"""Metadata read from text patterns: bylines, date lines, language.

HTML inputs get their metadata from trafilatura/htmldate (pipeline/extract/); text dumps have
no markup, so the cleaner hands the lines it moves out of the body to these parsers. dateparser
would cover more languages but pulls in a large dependency and guesses on ordinary sentences;
these patterns accept only lines that are wholly a date, which is what a dateline is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

# English month names and their abbreviations, with an optional full stop ("Sept.", "Dec."):
# MONTH for patterns that only look for a date, _MONTH for the ones that read it.
MONTH_NAMES = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
MONTH = rf"(?:{MONTH_NAMES})\.?"
_MONTH = rf"(?P<month>{MONTH_NAMES})\.?"

_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"

_YEAR = r"(?P<year>(?:19|20)\d\d)"

_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"

_TIME = r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d\d(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?)?"

_PREFIX = r"(?:(?:published|updated|posted|last updated|first published)(?:\s+on)?\s*:?\s*)?"

_DATE_PATTERNS = [
    re.compile(rf"{_PREFIX}{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}{_TIME}", re.I),
    re.compile(rf"{_PREFIX}{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}{_TIME}", re.I),
    re.compile(
        rf"{_PREFIX}{_YEAR}-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)(?:[T ]\d\d:\d\d(?::\d\d)?Z?)?", re.I
    ),
]

_CLOCK = re.compile(
    r"\b(?P<hour>[012]?\d)[:.](?P<minute>[0-5]\d)(?::[0-5]\d)?"
    r"\s*(?:(?P<ampm>[ap])\.?\s?m\b\.?)?",
    re.I,
)

_CLOCK_LOOKBEHIND = 30


def parse_date(text: str) -> datetime | None:
    """Parse a line that is wholly a date (optionally 'Published', a weekday and a time)."""
    candidate = text.strip().strip("|·•–—-").strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(candidate)
        if match:
            return _to_datetime(match)
    return None


def find_trailing_date(text: str) -> tuple[str, datetime | None]:
    """Split 'X December 15, 2024' into ('X', date); returns (text, None) without a date."""
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if match.end() == len(text.rstrip()):
                date = _to_datetime(match)
                if date is not None:
                    return text[: match.start()].rstrip(" ,|·•–—-"), date
    return text, None


def find_written_dates(text: str) -> list[tuple[datetime, bool]]:
    """Dates written in running text, as (naive local datetime, whether a clock time was given).

    A clock time counts when it follows the date ('May 4, 2023 at 10:26 p.m.') or stands just
    before it ('8:00 PM EST, Tue December 19, 2023').
    """
    matches = sorted(
        (match for pattern in _DATE_PATTERNS[:2] for match in pattern.finditer(text)),
        key=lambda match: match.start(),
    )
    found: list[tuple[datetime, bool]] = []
    previous_end = 0
    for match in matches:
        day = _to_datetime(match)
        if day is None:
            continue
        after = text[match.start("year") : match.end()]
        before = text[max(previous_end, match.start() - _CLOCK_LOOKBEHIND) : match.start()]
        previous_end = match.end()
        clocks = list(_CLOCK.finditer(before))
        clock = _CLOCK.search(after, 4) or (clocks[-1] if clocks else None)
        moment = _with_clock(day, clock) if clock else None
        found.append(((moment or day).replace(tzinfo=None), moment is not None))
    return found


def _with_clock(day: datetime, clock: re.Match[str]) -> datetime | None:
    hour, minute = int(clock.group("hour")), int(clock.group("minute"))
    ampm = (clock.group("ampm") or "").lower()
    if ampm and not 1 <= hour <= 12:
        return None
    if ampm:
        hour = hour % 12 + (12 if ampm == "p" else 0)
    if hour > 23:
        return None
    return day.replace(hour=hour, minute=minute)


def _to_datetime(match: re.Match[str]) -> datetime | None:
    groups = match.groupdict()
    month = _MONTHS[groups["month"].lower()[:3]] if groups.get("month") else int(groups["mnum"])
    try:
        return datetime(int(groups["year"]), month, int(groups["day"]), tzinfo=UTC)
    except ValueError:
        return None
