"""The records that flow between the stages: what was read, what came out, what was refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RawInput:
    """Bytes as they arrived, before any interpretation."""

    source_uri: str
    data: bytes
    raw_sha256: str
    content_type: str | None = None  # from HTTP or the file name; None when unknown
    outlet: str | None = None  # the configured source's outlet, which names it over the page's


@dataclass(frozen=True)
class Removal:
    """One piece of text the cleaner dropped, and the rule that dropped it (for audits).
    `applied` is False when the rule fired but its removal was not kept (see Article.audit)."""

    rule: str
    text: str
    applied: bool = True


@dataclass
class ArticleMetadata:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None  # in the offset the page states (UTC when none)
    updated_at: datetime | None = None  # the page's own "modified" date, when it states one
    # the date is htmldate's guess from the page's text (a year quoted in it), not one the page
    # states: stories do not trust it for their time extent (pipeline/dedupe/stories.py)
    published_guessed: bool = False
    outlet: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    credit: str | None = None  # a "SOURCE: ..." line or a standfirst credit, moved out of the body


@dataclass
class Article:
    """A cleaned article, ready to fingerprint and load."""

    source_uri: str
    raw_sha256: str
    body: str
    body_sha256: str
    metadata: ArticleMetadata
    removals: list[Removal] = field(default_factory=list)
    site: str = ""  # whose learned boilerplate applies (pipeline/clean/site.py)
    # Why an operator should look at this article's cleaning (pipeline/clean/article.py), or
    # None; and the share of the extracted text's characters that cleaning removed.
    audit: str | None = None
    removed_share: float = 0.0
    site_lines: dict[str, str] = field(default_factory=dict)  # line key -> text, to count


@dataclass(frozen=True)
class Rejection:
    """An input that cannot become an article, with a machine-readable reason and a human detail."""

    source_uri: str
    reason: str
    detail: str
    raw_sha256: str = ""


class InputError(Exception):
    """Raised by a stage for an input it refuses; carries the rejection reason code."""

    def __init__(self, reason: str, detail: str, raw_sha256: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.raw_sha256 = raw_sha256


# A paragraph given with the kind of block it came from: "p", "head", "item", "row", "quote",
# or "lead" (a standfirst the page shows apart from the article body).
Paragraph = str | tuple[str, str]
