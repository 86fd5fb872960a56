"""Exact-match scoring of extracted metadata (title, date, authors) against gold records.

"Exact match" after normalisations that remove typography, not content:
- title: Unicode NFKC, casefold, curly quotes and dashes made plain, whitespace collapsed, and a
  trailing period or surrounding quote marks dropped. Any difference in words, numbers, accents
  or other punctuation is a miss.
- date: the calendar day of the predicted datetime in its own offset (the page's local day)
  equals the gold 'YYYY-MM-DD'. A page stamped 2023-05-04T22:00-04:00 is May 4, never shifted to
  UTC. Times are not compared: the gold has days only.
- authors: the gold string is split on ',', ';', '|', '&' and ' and '; both sides become sets of
  names compared without case, accents and punctuation ('L. Daniela Álvarez' = 'l daniela
  alvarez'); the sets must be equal, order ignored.
Gold that is absent (None, or '' for title and date) is not scored; an empty gold author string
is read as "no gold", so the author rate is over documents whose gold names someone.

A gold date is only fair to score where the page states that day (page_states_day): some gold
days are not on their page at all (another year, a crawl day). 'date stated' is the rate over the
pages that state their gold day, and MetadataScore.unstated counts the others.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import zip_longest
from typing import Any

from pipeline.extract.metadata import name_key
from pipeline.models import ArticleMetadata

_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "–": "-",
        "—": "-",
        "‒": "-",
        "‐": "-",
        "\u00a0": " ",
    }
)
_GOLD_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\||&|\band\b)\s*", re.I)


def normalise_title(title: str | None) -> str:
    text = unicodedata.normalize("NFKC", title or "").translate(_QUOTES).casefold()
    text = " ".join(text.split())
    text = text.rstrip(".").strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text


def title_matches(pred: str | None, gold: str | None) -> bool:
    return bool(gold) and normalise_title(pred) == normalise_title(gold)


def gold_day(gold: str | None) -> date | None:
    if not gold:
        return None
    try:
        return date.fromisoformat(gold.strip()[:10])
    except ValueError:
        return None


def date_matches(pred: datetime | None, gold: str | None) -> bool:
    """The predicted day in the page's own offset equals the gold day."""
    day = gold_day(gold)
    return pred is not None and day is not None and pred.date() == day


_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def _day_spellings(day: date) -> list[str]:
    """How pages write a day: ISO and numeric forms, and month names long and short."""
    y, m, d = day.year, day.month, day.day
    numeric = [f"{y}-{m:02}-{d:02}", f"{y}/{m:02}/{d:02}", f"{m}/{d}/{y}", f"{m:02}/{d:02}/{y}"]
    numeric += [f"{d:02}.{m:02}.{y}", f"{d}.{m}.{y}", f"{d:02}/{m:02}/{y}", f"{y}{m:02}{d:02}"]
    month = _MONTHS[m - 1]
    named = [f"{name} {d}, {y}" for name in (month, month[:3], month[:3] + ".")] + [
        f"{d} {name} {y}" for name in (month, month[:3])
    ]
    named += [f"{name} {d} {y}" for name in (month, month[:3])]
    return numeric + named


def page_states_day(html: str, day: date) -> bool:
    """Whether a page writes this calendar day anywhere (text, markup or structured data)."""
    text = " ".join(re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", html.casefold()).split())
    return any(spelling in text for spelling in _day_spellings(day))


def author_keys(authors: str | Iterable[str] | None) -> set[str]:
    """Normalised names; a string is split on , ; | & and 'and' first."""
    if authors is None:
        return set()
    if isinstance(authors, str):
        authors = _GOLD_AUTHOR_SPLIT.split(authors)
    keys = set()
    for name in authors:
        key = name_key(re.sub(r"^by\s+", "", name.strip(), flags=re.I))
        if key:
            keys.add(key)
    return keys


def authors_match(pred: Iterable[str], gold: str | Iterable[str] | None) -> bool:
    return author_keys(pred) == author_keys(gold)


FIELDS = ("title", "date", "date stated", "authors")


@dataclass
class MetadataScore:
    """Per field (FIELDS), pages with gold and exact hits; `misses` lists (field, doc id,
    predicted, gold)."""

    docs: int = 0
    gold: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)
    unstated: int = 0  # gold dates their page does not state

    def rate(self, name: str) -> float | None:
        return self.hits[name] / self.gold[name] if self.gold[name] else None

    def count(self, name: str, doc_id: str, hit: bool, predicted: str, gold: str) -> None:
        self.gold[name] += 1
        if hit:
            self.hits[name] += 1
        else:
            self.misses.append((name, doc_id, predicted, gold))


def score_metadata(
    pairs: Iterable[tuple[ArticleMetadata, Mapping[str, Any]]],
    date_stated: Iterable[bool | None] = (),
) -> MetadataScore:
    """Score (predicted metadata, gold record) pairs; gold records have title, date, authors.
    `date_stated` says, pair by pair, whether the page states its gold day (page_states_day);
    without it 'date stated' is not scored.

    A record's 'id' (or 'html_file') names it in `misses`.
    """
    score = MetadataScore()
    for (pred, gold), stated in zip_longest(pairs, date_stated):
        score.docs += 1
        doc_id = str(gold.get("id", gold.get("html_file", score.docs)))
        if gold.get("title"):
            hit = title_matches(pred.title, gold["title"])
            score.count("title", doc_id, hit, pred.title or "", str(gold["title"]))
        if gold_day(gold.get("date")) is not None:
            hit = date_matches(pred.published_at, gold["date"])
            shown = pred.published_at.isoformat() if pred.published_at else ""
            score.count("date", doc_id, hit, shown, str(gold["date"]))
            if stated:
                score.count("date stated", doc_id, hit, shown, str(gold["date"]))
            elif stated is not None:
                score.unstated += 1
        if author_keys(gold.get("authors")):
            hit = authors_match(pred.authors, gold["authors"])
            score.count("authors", doc_id, hit, "; ".join(pred.authors), str(gold["authors"]))
    return score
