"""From extracted paragraphs to an article: the cleaner's result, checked and hashed."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from pipeline.clean import clean_paragraphs
from pipeline.clean.site import line_key
from pipeline.extract.core import Extracted
from pipeline.models import Article, InputError, Removal
from pipeline.text.language import detect_language

MIN_BODY_CHARS = 80


def build_article(extracted: Extracted, site_boilerplate: Collection[str] = frozenset()) -> Article:
    """Clean extracted paragraphs into an article; raises InputError when no article is left."""
    raw = extracted.raw
    result = clean_paragraphs(extracted.paragraphs, extracted.metadata, site_boilerplate)
    body = result.body
    if len(body) < MIN_BODY_CHARS:
        raise InputError("no_article", f"only {len(body)} characters of text after cleaning")
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
        removals=[*result.removals, *_repairs(extracted)],
        site=extracted.site,
        site_lines=site_lines,
    )


def _repairs(extracted: Extracted) -> list[Removal]:
    """What extraction replaced or repaired in the text, noted with what the cleaner removed."""
    return [Removal("repaired_characters", extracted.repaired)] if extracted.repaired else []
