"""From extracted paragraphs to an article: the cleaner's result, checked and hashed."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from pipeline.clean import clean_paragraphs, uncleaned_text
from pipeline.clean.site import line_key
from pipeline.extract.core import Extracted
from pipeline.models import Article, InputError, Removal
from pipeline.text.language import detect_language

MIN_BODY_CHARS = 80
# Cleaning that removed more than this share of the extracted characters is listed for audit.
AUDIT_REMOVED_SHARE = 0.5
KEPT_EXTRACTED = "kept_extracted"
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
        removals=[*removals, *_repairs(extracted)],
        site=extracted.site,
        site_lines=site_lines,
        audit=audit,
        removed_share=round(removed_share, 4),
    )


def _repairs(extracted: Extracted) -> list[Removal]:
    """What extraction replaced or repaired in the text, noted with what the cleaner removed."""
    return [Removal("repaired_characters", extracted.repaired)] if extracted.repaired else []
