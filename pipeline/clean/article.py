"""From extracted paragraphs to an article: the cleaner's result, checked and hashed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection

from pipeline.clean import clean_paragraphs, uncleaned_text
from pipeline.clean.site import line_key
from pipeline.extract.core import Extracted
from pipeline.models import Article, InputError, Removal
from pipeline.text.language import detect_language

MIN_BODY_CHARS = 80
# A stored body is cut to this many characters, at the last line or sentence end within it:
# no article runs this long (a long read is ~50,000), and a page that does (a log dump, a
# whole archive in one page) would cost every later stage and the database in proportion.
MAX_BODY_CHARS = 200_000
BODY_PAST_BOUND = "body_past_bound"
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s")
_CUT_SHOWN_CHARS = 200  # of the cut text, kept in the record for audits
# Cleaning that removed more than this share of the extracted characters is listed for audit.
AUDIT_REMOVED_SHARE = 0.5
KEPT_EXTRACTED = "kept_extracted"
IGNORED_JSON_LD = "ignored_json_ld"
MOST_REMOVED = "most_removed"


def build_article(
    extracted: Extracted,
    site_boilerplate: Collection[str] = frozenset(),
    disabled: Collection[str] = frozenset(),
) -> Article:
    """Clean extracted paragraphs into an article.

    An article is never lost to cleaning: when the rules would leave less than an article, the
    extracted text is kept as it came (audit 'kept_extracted', the rules' removals recorded as
    not applied). Only a page whose extractor found no article text raises InputError."""
    raw = extracted.raw
    result = clean_paragraphs(extracted.paragraphs, extracted.metadata, site_boilerplate, disabled)
    uncleaned = uncleaned_text(extracted.paragraphs)  # what the extractor found
    body, removals, audit = result.body, result.removals, None
    if len(body) < MIN_BODY_CHARS:
        if len(uncleaned) < MIN_BODY_CHARS:
            raise InputError("no_article", f"only {len(uncleaned)} characters of article text")
        body, audit = uncleaned, KEPT_EXTRACTED
        removals = [Removal(r.rule, r.text, applied=False) for r in removals]
    removed_share = max(0.0, 1 - len(body) / len(uncleaned)) if uncleaned else 0.0
    if audit is None and removed_share > AUDIT_REMOVED_SHARE:
        audit = MOST_REMOVED
    body, cut = _bounded(body)
    result.metadata.language = result.metadata.language or detect_language(body)
    site_lines: dict[str, str] = {}
    for line in result.site_lines:
        key = line_key(line)
        if key is not None:
            site_lines.setdefault(key, line)
    return Article(
        source_uri=raw.source_uri,
        raw_sha256=raw.raw_sha256,
        body=body,
        body_sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        metadata=result.metadata,
        removals=[*removals, *cut, *_repairs(extracted)],
        site=extracted.site,
        site_lines=site_lines,
        audit=audit,
        removed_share=round(removed_share, 4),
    )


def _repairs(extracted: Extracted) -> list[Removal]:
    """What extraction replaced or repaired in the text, and the page's metadata it could not
    read, noted with what the cleaner removed."""
    repaired = [Removal("repaired_characters", extracted.repaired)] if extracted.repaired else []
    return repaired + [Removal(IGNORED_JSON_LD, note) for note in extracted.ignored_json_ld]


def _bounded(body: str) -> tuple[str, list[Removal]]:
    """The body cut to MAX_BODY_CHARS at the last line end within the bound, else the last
    sentence end, else the last space; and the record of the cut (what was cut is counted and
    its start shown, not stored whole: that would keep what the bound is there to drop)."""
    if len(body) <= MAX_BODY_CHARS:
        return body, []
    window = body[: MAX_BODY_CHARS + 1]
    sentence_ends = [m.end() - 1 for m in _SENTENCE_END.finditer(window)]
    candidates = (window.rfind("\n"), sentence_ends[-1] if sentence_ends else -1, window.rfind(" "))
    at = next((c for c in candidates if c >= MAX_BODY_CHARS // 2), MAX_BODY_CHARS)
    kept, rest = body[:at].rstrip(), body[at:].strip()
    note = (
        f"cut at {len(kept):,} of {len(body):,} characters (bound {MAX_BODY_CHARS:,}); "
        f"{len(rest):,} characters removed, from: {rest[:_CUT_SHOWN_CHARS]}"
    )
    return kept, [Removal(BODY_PAST_BOUND, note)]
